import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type SluiceConfig } from '../../src/config/index.js';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { silentLogger } from '../../src/log/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { SHARED_NATS_URL, deleteStreams, uniqueNames } from './nats.js';

export interface TestPipeline {
  /** The gateway's base URL (no trailing slash). */
  readonly url: string;
  readonly config: SluiceConfig;
  readonly db: TestDatabase;
  readonly names: { stream: string; prefix: string; consumer: string };
  readonly services: Services;
  /** Stops the services, deletes the streams, drops the database. */
  stop(): Promise<void>;
}

export interface PipelineOptions {
  /** Extra environment (e.g. MAX_BODY_BYTES, SLUICE_API_KEYS, SLUICE_ENTITIES). */
  readonly env?: Record<string, string>;
  readonly gateway?: boolean;
  readonly worker?: boolean;
  /** Deliver to subscriptions too (as `sluice dev` and `sluice worker` do). */
  readonly deliver?: boolean;
  /** A database to use instead of a fresh one (not dropped by stop()). */
  readonly db?: TestDatabase;
  readonly natsUrl?: string;
}

/**
 * A real gateway and worker, in this process, against real NATS JetStream and PostgreSQL,
 * on their own stream, subject prefix, consumer and database.
 */
export async function startTestPipeline(options: PipelineOptions = {}): Promise<TestPipeline> {
  const names = uniqueNames('pl');
  const db = options.db ?? (await createTestDatabase());
  const natsUrl = options.natsUrl ?? SHARED_NATS_URL;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    NATS_URL: natsUrl,
    NATS_STREAM: names.stream,
    NATS_SUBJECT_PREFIX: names.prefix,
    SLUICE_CONSUMER: names.consumer,
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '4',
    LOG_LEVEL: 'silent',
    NATS_CONNECT_ATTEMPTS: '3',
    ...options.env,
  });
  const services = await runServices(config, silentLogger(), {
    gateway: options.gateway ?? true,
    worker: options.worker ?? true,
    deliver: options.deliver ?? false,
    migrate: true,
  });
  return {
    url: services.address ?? '',
    config,
    db,
    names,
    services,
    async stop() {
      await services.stop();
      await deleteStreams(natsUrl, names.stream).catch(() => undefined);
      if (options.db === undefined) await db.drop();
    },
  };
}

/** A running gateway (and worker) that a suite reaches over HTTP only. */
export interface RunningPipeline {
  /** The gateway's base URL (no trailing slash). */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a pipeline for a suite that runs on both tiers: embedded adapters or the servers. */
export type StartPipeline = (options?: Pick<PipelineOptions, 'env' | 'gateway' | 'worker'>) => Promise<RunningPipeline>;

/**
 * A real gateway and worker, in this process, on the embedded bus and the embedded database
 * (PGlite) in a fresh data directory: no NATS or PostgreSQL server needed.
 */
export async function startEmbeddedPipeline(options: Pick<PipelineOptions, 'env' | 'gateway' | 'worker'> = {}): Promise<RunningPipeline & { readonly config: SluiceConfig; readonly services: Services }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-embedded-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SLUICE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...options.env });
  const services = await runServices(config, silentLogger(), {
    gateway: options.gateway ?? true,
    worker: options.worker ?? true,
    migrate: true,
  }).catch((error: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: services.address ?? '',
    config,
    services,
    async stop() {
      await services.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface HttpAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A small fetch wrapper for tests: JSON in, parsed JSON (or text) out. */
export async function http<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | Buffer | undefined = init.raw;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}
