import { typePatternProblem } from '../envelope/index.js';
import { parseDuration, parseInteger, parseSize } from './units.js';

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
  };
  readonly dataDir: string;
  /** Null: no entity file. */
  readonly entitiesFile: string | null;
  readonly worker: {
    readonly consumer: string;
    readonly maxDeliver: number;
    readonly batchSize: number;
    readonly ackWaitMs: number;
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

/** Every variable Sluice reads, with its meaning: the README's table and deploy checks use it. */
export const ENVIRONMENT_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  PORT: 'gateway listen port (8080)',
  HOST: 'gateway listen address (0.0.0.0)',
  NATS_URL: 'NATS server URL or comma-separated list; unset: embedded bus',
  NATS_STREAM: 'JetStream stream (EVENTS)',
  NATS_SUBJECT_PREFIX: 'subject prefix (events)',
  STREAM_MAX_AGE: 'stream max age (7d)',
  STREAM_MAX_MSGS: 'stream max messages (unlimited)',
  STREAM_MAX_BYTES: 'stream max bytes (unlimited)',
  STREAM_REPLICAS: 'stream replicas (1)',
  STREAM_DUPLICATE_WINDOW: 'idempotency window of the stream (2m)',
  NATS_USER: 'NATS user',
  NATS_PASSWORD: 'NATS password',
  NATS_TOKEN: 'NATS token',
  NATS_CREDS: 'NATS .creds file',
  NATS_NKEY_SEED: 'NATS NKey seed (or a file holding it)',
  NATS_TLS_CA: 'CA file for TLS to NATS',
  NATS_TLS_CERT: 'client certificate for mutual TLS',
  NATS_TLS_KEY: 'client key for mutual TLS',
  NATS_CONNECT_ATTEMPTS: 'first-connection attempts (5)',
  NATS_CONNECT_DELAY: 'delay between first-connection attempts (500ms)',
  SLUICE_PUBLISH_TIMEOUT: 'longest wait for a JetStream ack before 503 (4s)',
  DATABASE_URL: 'PostgreSQL connection string; unset: embedded database',
  DATABASE_POOL_SIZE: 'PostgreSQL connections per process (10)',
  SLUICE_DATA_DIR: 'embedded bus and database files (./.sluice)',
  SLUICE_ENTITIES: 'entity definition file (./sluice.entities.yaml when it exists)',
  SLUICE_API_KEYS: 'comma-separated API keys, each with every scope; unset: open',
  SLUICE_KEYS_FILE: 'scoped API keys (hashes, scopes, types, rates); re-read when it changes',
  SLUICE_CORS_ORIGINS: 'comma-separated browser origins that may call the ingest endpoints',
  SLUICE_MAX_INFLIGHT: 'publishes in flight before 429 (4096)',
  METRICS_PORT: 'extra port serving /metrics and /health',
  SLUICE_CONSUMER: 'durable consumer shared by workers (sluice-worker)',
  SLUICE_MAX_DELIVER: 'failed deliveries before dead-lettering (5)',
  SLUICE_WORKER_BATCH: 'events per worker transaction (1000)',
  SLUICE_ACK_WAIT: 'JetStream ack wait for the worker consumer (30s)',
  MAX_BODY_BYTES: 'largest request body (1MiB)',
  MAX_BATCH_EVENTS: 'most events in one batch request (10000)',
  SLUICE_ARCHIVE_RETENTION: 'drop archive partitions older than this (keep all)',
  LOG_LEVEL: 'pino log level (info)',
  SLUICE_URL: 'gateway URL for client commands (http://127.0.0.1:8080)',
  SLUICE_API_KEY: 'API key for client commands',
});

type Env = Readonly<Record<string, string | undefined>>;

const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Reads the configuration from an environment (process.env in the CLI, a plain object in
 * tests). Throws ConfigError on the first mistake. `defaultEntitiesFile` is the path used
 * when SLUICE_ENTITIES is unset and that file exists (the CLI checks the file system).
 */
export function loadConfig(env: Env, options: { defaultEntitiesFile?: string | null } = {}): SluiceConfig {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const duration = (name: string, fallback: string): number => {
    const text = get(name) ?? fallback;
    const value = parseDuration(text);
    if (value === null || value <= 0) throw new ConfigError(name, `"${text}" is not a duration; use a number with ms, s, m, h, d or w (like 30s, 24h, 7d)`);
    return value;
  };
  const size = (name: string, fallback: string | null): number => {
    const text = get(name) ?? fallback;
    if (text === null) return -1;
    const value = parseSize(text);
    if (value === null || value <= 0) throw new ConfigError(name, `"${text}" is not a size; use bytes or a number with KB, MB, GB (10^3...) or KiB, MiB, GiB (2^10...)`);
    return value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = get(name);
    if (text === undefined) return fallback;
    const value = parseInteger(text, min, max);
    if (value === null) throw new ConfigError(name, `"${text}" is not a whole number from ${min} to ${max}`);
    return value;
  };
  const optionalInteger = (name: string, min: number, max: number): number | null => (get(name) === undefined ? null : integer(name, 0, min, max));

  const natsUrl = get('NATS_URL');
  const servers = natsUrl === undefined ? null : natsUrl.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (servers !== null) {
    for (const server of servers) {
      if (!/^(nats|tls|wss?):\/\/[^\s]+$|^[^\s/:]+(:\d+)?$/.test(server)) {
        throw new ConfigError('NATS_URL', `"${server}" is not a NATS URL; use nats://host:4222 (comma-separate several servers)`);
      }
    }
  }
  const stream = get('NATS_STREAM') ?? 'EVENTS';
  if (!STREAM_NAME.test(stream)) throw new ConfigError('NATS_STREAM', `"${stream}" is not a stream name; use letters, digits, "_" and "-"`);
  const subjectPrefix = get('NATS_SUBJECT_PREFIX') ?? 'events';
  if (!SUBJECT_PREFIX.test(subjectPrefix) || typePatternProblem(subjectPrefix) !== null) {
    throw new ConfigError('NATS_SUBJECT_PREFIX', `"${subjectPrefix}" is not a subject prefix; use dot-separated tokens without wildcards`);
  }
  const replicas = integer('STREAM_REPLICAS', 1, 1, 5);
  const maxMsgsText = get('STREAM_MAX_MSGS');
  const streamMaxMsgs = maxMsgsText === undefined || maxMsgsText === 'unlimited' ? -1 : integer('STREAM_MAX_MSGS', -1, 1, Number.MAX_SAFE_INTEGER);
  const maxBytesText = get('STREAM_MAX_BYTES');
  const streamMaxBytes = maxBytesText === undefined || maxBytesText === 'unlimited' ? -1 : size('STREAM_MAX_BYTES', null);

  const tlsCa = get('NATS_TLS_CA');
  const tlsCert = get('NATS_TLS_CERT');
  const tlsKey = get('NATS_TLS_KEY');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError(tlsCert === undefined ? 'NATS_TLS_CERT' : 'NATS_TLS_KEY', 'mutual TLS needs both NATS_TLS_CERT and NATS_TLS_KEY');
  }
  if ((get('NATS_USER') === undefined) !== (get('NATS_PASSWORD') === undefined)) {
    throw new ConfigError(get('NATS_USER') === undefined ? 'NATS_USER' : 'NATS_PASSWORD', 'set both NATS_USER and NATS_PASSWORD');
  }

  const databaseUrl = get('DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'expected a PostgreSQL connection string like postgres://user@host:5432/db');
  }

  const apiKeys = (get('SLUICE_API_KEYS') ?? '').split(',').map((k) => k.trim()).filter((k) => k.length > 0);
  const corsOrigins = (get('SLUICE_CORS_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter((o) => o.length > 0);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
      throw new ConfigError('SLUICE_CORS_ORIGINS', `"${origin.slice(0, 80)}" is not an origin; use scheme://host[:port] like https://shop.example.com (no path, no trailing slash)`);
    }
  }
  const consumer = get('SLUICE_CONSUMER') ?? 'sluice-worker';
  if (!STREAM_NAME.test(consumer)) throw new ConfigError('SLUICE_CONSUMER', `"${consumer}" is not a consumer name; use letters, digits, "_" and "-"`);
  const retention = get('SLUICE_ARCHIVE_RETENTION');
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `"${logLevel}" is not a level; use fatal, error, warn, info, debug, trace or silent`);
  }
  const clientUrl = get('SLUICE_URL') ?? 'http://127.0.0.1:8080';
  if (!/^https?:\/\/[^\s]+$/.test(clientUrl)) throw new ConfigError('SLUICE_URL', `"${clientUrl}" is not an http(s) URL`);
  const clientKey = get('SLUICE_API_KEY');

  const config: SluiceConfig = {
    http: {
      port: integer('PORT', 8080, 0, 65535),
      host: get('HOST') ?? '0.0.0.0',
      maxBodyBytes: size('MAX_BODY_BYTES', '1MiB'),
      maxBatchEvents: integer('MAX_BATCH_EVENTS', 10_000, 1, 1_000_000),
      maxInflight: integer('SLUICE_MAX_INFLIGHT', 4096, 1, 1_000_000),
      apiKeys,
      keysFile: get('SLUICE_KEYS_FILE') ?? null,
      corsOrigins,
    },
    nats: {
      servers,
      stream,
      subjectPrefix,
      streamMaxAgeMs: duration('STREAM_MAX_AGE', '7d'),
      streamMaxMsgs,
      streamMaxBytes,
      replicas,
      duplicateWindowMs: duration('STREAM_DUPLICATE_WINDOW', '2m'),
      ...(get('NATS_USER') !== undefined ? { user: get('NATS_USER'), password: get('NATS_PASSWORD') } : {}),
      ...(get('NATS_TOKEN') !== undefined ? { token: get('NATS_TOKEN') } : {}),
      ...(get('NATS_CREDS') !== undefined ? { credsFile: get('NATS_CREDS') } : {}),
      ...(get('NATS_NKEY_SEED') !== undefined ? { nkeySeed: get('NATS_NKEY_SEED') } : {}),
      ...(tlsCa !== undefined || tlsCert !== undefined
        ? { tls: { ...(tlsCa !== undefined ? { ca: tlsCa } : {}), ...(tlsCert !== undefined ? { cert: tlsCert, key: tlsKey } : {}) } }
        : {}),
      connectAttempts: integer('NATS_CONNECT_ATTEMPTS', 5, 1, 1000),
      connectDelayMs: duration('NATS_CONNECT_DELAY', '500ms'),
      publishTimeoutMs: duration('SLUICE_PUBLISH_TIMEOUT', '4s'),
    },
    database: { url: databaseUrl, poolSize: integer('DATABASE_POOL_SIZE', 10, 1, 1000) },
    dataDir: get('SLUICE_DATA_DIR') ?? './.sluice',
    entitiesFile: get('SLUICE_ENTITIES') ?? options.defaultEntitiesFile ?? null,
    worker: {
      consumer,
      maxDeliver: integer('SLUICE_MAX_DELIVER', 5, 1, 1000),
      batchSize: integer('SLUICE_WORKER_BATCH', 1000, 1, 10_000),
      ackWaitMs: duration('SLUICE_ACK_WAIT', '30s'),
    },
    metricsPort: optionalInteger('METRICS_PORT', 0, 65535),
    archiveRetentionMs: retention === undefined ? null : duration('SLUICE_ARCHIVE_RETENTION', retention),
    logLevel,
    client: { url: clientUrl.replace(/\/+$/, ''), ...(clientKey !== undefined ? { apiKey: clientKey } : {}) },
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
