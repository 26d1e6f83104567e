import { VariableProblem, type Variable } from './variable-kinds.js';
import { VARIABLES, type VariableName, type VariableValues } from './variables.js';

/** Everything Sluice reads from its environment, validated, defaulted and frozen. */
export interface SluiceConfig {
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly maxBodyBytes: number;
    readonly maxBatchEvents: number;
    /** Publishes in flight at once before the gateway sheds load with 429. */
    readonly maxInflight: number;
    /** Keys with every scope (`SLUICE_API_KEYS`). Empty, with no keys file: the API is open. */
    readonly apiKeys: readonly string[];
    /** Scoped keys, re-read when the file changes; null: none. */
    readonly keysFile: string | null;
    /** Browser origins that may call the ingest endpoints. */
    readonly corsOrigins: readonly string[];
  };
  readonly nats: {
    /** Null: use the embedded bus. */
    readonly servers: readonly string[] | null;
    readonly stream: string;
    readonly subjectPrefix: string;
    readonly streamMaxAgeMs: number;
    /** -1: unlimited. */
    readonly streamMaxMsgs: number;
    /** -1: unlimited. */
    readonly streamMaxBytes: number;
    readonly replicas: number;
    readonly duplicateWindowMs: number;
    readonly user?: string;
    readonly password?: string;
    readonly token?: string;
    readonly credsFile?: string;
    readonly nkeySeed?: string;
    readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
    /** Attempts for the first connection (seed 000: 5 attempts, 500 ms apart). */
    readonly connectAttempts: number;
    readonly connectDelayMs: number;
    /** How long a publish may wait for its JetStream ack before the gateway answers 503. */
    readonly publishTimeoutMs: number;
  };
  readonly database: {
    /** Null: use the embedded database. */
    readonly url: string | null;
    readonly poolSize: number;
    /** `gin`: migrations index the archive's JSON data for `?data=` searches. */
    readonly dataIndex: 'none' | 'gin';
  };
  readonly dataDir: string;
  /** Null: no entity file. */
  readonly entitiesFile: string | null;
  readonly worker: {
    readonly consumer: string;
    readonly maxDeliver: number;
    readonly batchSize: number;
    /** How long a partial batch waits for more events once none are pending. */
    readonly gatherMs: number;
    readonly ackWaitMs: number;
  };
  readonly subscriptions: {
    /** Null: no subscription file (the API can still add subscriptions). */
    readonly file: string | null;
    /** Deliveries may go to loopback, private and link-local addresses. */
    readonly allowPrivateTargets: boolean;
    /** The first retry's delay; it doubles with each attempt (at most 10 minutes). */
    readonly retryBaseMs: number;
  };
  readonly metricsPort: number | null;
  /** Null: keep the archive for ever. */
  readonly archiveRetentionMs: number | null;
  readonly logLevel: string;
  /** Where the client commands (`sluice send`, ...) find a gateway. */
  readonly client: { readonly url: string; readonly apiKey?: string };
}

/** A configuration mistake: the message names the variable and what it expects. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every declared variable read from an environment; throws ConfigError on the first mistake. */
export function readVariables(env: Env): VariableValues {
  const values: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(VARIABLES) as Array<[VariableName, Variable<unknown>]>) {
    const raw = env[name];
    const text = raw === undefined || raw.trim() === '' ? null : raw.trim();
    try {
      values[name] = variable.read(text);
    } catch (error) {
      if (error instanceof VariableProblem) throw new ConfigError(name, error.message);
      throw error;
    }
  }
  return values as VariableValues;
}

/**
 * Reads the configuration from an environment (process.env in the CLI, a plain object in
 * tests). Throws ConfigError on the first mistake. `defaultEntitiesFile` is the path used
 * when SLUICE_ENTITIES is unset and that file exists (the CLI checks the file system).
 */
export function loadConfig(env: Env, options: { defaultEntitiesFile?: string | null; defaultSubscriptionsFile?: string | null } = {}): SluiceConfig {
  const v = readVariables(env);
  if ((v.NATS_TLS_CERT === undefined) !== (v.NATS_TLS_KEY === undefined)) {
    throw new ConfigError(v.NATS_TLS_CERT === undefined ? 'NATS_TLS_CERT' : 'NATS_TLS_KEY', 'mutual TLS needs both NATS_TLS_CERT and NATS_TLS_KEY');
  }
  if ((v.NATS_USER === undefined) !== (v.NATS_PASSWORD === undefined)) {
    throw new ConfigError(v.NATS_USER === undefined ? 'NATS_USER' : 'NATS_PASSWORD', 'set both NATS_USER and NATS_PASSWORD');
  }

  const config: SluiceConfig = {
    http: {
      port: v.PORT,
      host: v.HOST,
      maxBodyBytes: v.MAX_BODY_BYTES,
      maxBatchEvents: v.MAX_BATCH_EVENTS,
      maxInflight: v.SLUICE_MAX_INFLIGHT,
      apiKeys: v.SLUICE_API_KEYS,
      keysFile: v.SLUICE_KEYS_FILE ?? null,
      corsOrigins: v.SLUICE_CORS_ORIGINS,
    },
    nats: {
      servers: v.NATS_URL,
      stream: v.NATS_STREAM,
      subjectPrefix: v.NATS_SUBJECT_PREFIX,
      streamMaxAgeMs: v.STREAM_MAX_AGE,
      streamMaxMsgs: v.STREAM_MAX_MSGS,
      streamMaxBytes: v.STREAM_MAX_BYTES,
      replicas: v.STREAM_REPLICAS,
      duplicateWindowMs: v.STREAM_DUPLICATE_WINDOW,
      ...(v.NATS_USER !== undefined ? { user: v.NATS_USER, password: v.NATS_PASSWORD } : {}),
      ...(v.NATS_TOKEN !== undefined ? { token: v.NATS_TOKEN } : {}),
      ...(v.NATS_CREDS !== undefined ? { credsFile: v.NATS_CREDS } : {}),
      ...(v.NATS_NKEY_SEED !== undefined ? { nkeySeed: v.NATS_NKEY_SEED } : {}),
      ...(v.NATS_TLS_CA !== undefined || v.NATS_TLS_CERT !== undefined
        ? { tls: { ...(v.NATS_TLS_CA !== undefined ? { ca: v.NATS_TLS_CA } : {}), ...(v.NATS_TLS_CERT !== undefined ? { cert: v.NATS_TLS_CERT, key: v.NATS_TLS_KEY } : {}) } }
        : {}),
      connectAttempts: v.NATS_CONNECT_ATTEMPTS,
      connectDelayMs: v.NATS_CONNECT_DELAY,
      publishTimeoutMs: v.SLUICE_PUBLISH_TIMEOUT,
    },
    database: { url: v.DATABASE_URL ?? null, poolSize: v.DATABASE_POOL_SIZE, dataIndex: v.SLUICE_DATA_INDEX },
    dataDir: v.SLUICE_DATA_DIR,
    entitiesFile: v.SLUICE_ENTITIES ?? options.defaultEntitiesFile ?? null,
    worker: {
      consumer: v.SLUICE_CONSUMER,
      maxDeliver: v.SLUICE_MAX_DELIVER,
      batchSize: v.SLUICE_WORKER_BATCH,
      gatherMs: v.SLUICE_WORKER_GATHER_MS,
      ackWaitMs: v.SLUICE_ACK_WAIT,
    },
    subscriptions: {
      file: v.SLUICE_SUBSCRIPTIONS ?? options.defaultSubscriptionsFile ?? null,
      allowPrivateTargets: v.SLUICE_SUBSCRIPTION_PRIVATE_TARGETS === 'allow',
      retryBaseMs: v.SLUICE_DELIVERY_BACKOFF,
    },
    metricsPort: v.METRICS_PORT,
    archiveRetentionMs: v.SLUICE_ARCHIVE_RETENTION,
    logLevel: v.LOG_LEVEL,
    client: { url: v.SLUICE_URL.replace(/\/+$/, ''), ...(v.SLUICE_API_KEY !== undefined ? { apiKey: v.SLUICE_API_KEY } : {}) },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
