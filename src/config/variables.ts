import { typePatternProblem } from '../envelope/index.js';
import {
  choice,
  duration,
  integer,
  limit,
  list,
  optionalDuration,
  optionalInteger,
  optionalList,
  optionalText,
  size,
  text,
  type Variable,
} from './variable-kinds.js';

const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;
/**
 * A publish that got no ack answers 503, and must do so within 5 s (SPEC). The wait's deadline
 * is checked every 100 ms and the request is read and answered around it: 4.5 s leaves 400 ms.
 */
const PUBLISH_TIMEOUT_LIMIT = { ms: 4500, why: 'a publish that gets no ack must be answered 503 within 5 s, and reading and answering the request takes some of them' };
/** Node's timers take at most 2^31-1 ms (about 24.8 days); a longer delay fires after 1 ms. */
const NODE_TIMER_LIMIT = { ms: 2 ** 31 - 1, why: 'timers hold at most 2^31-1 ms (about 24.8 days); a longer wait would fire at once' };
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const NATS_SERVER = /^(nats|tls|wss?):\/\/[^\s]+$|^[^\s/:]+(:\d+)?$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every variable Sluice reads, in the order the README and `.env.example` list them. This is
 * the one place a default is written: the loader, `sluice --help`, the README's table and
 * `.env.example` come from it (`npm run config:docs` rewrites the two files; a test compares).
 */
export const VARIABLES = {
  PORT: integer({ default: '8080', min: 0, max: 65535, doc: 'gateway listen port' }),
  HOST: text({ default: '0.0.0.0', doc: 'gateway listen address' }),
  NATS_URL: optionalList({
    unset: 'embedded bus',
    doc: 'NATS server URL, or a comma-separated list (cluster seeds)',
    check: (s) => (NATS_SERVER.test(s) ? null : `"${s}" is not a NATS URL; use nats://host:4222 (comma-separate several servers)`),
  }),
  NATS_STREAM: text({
    default: 'EVENTS',
    doc: 'JetStream stream, created or updated at start',
    check: (s) => (STREAM_NAME.test(s) ? null : `"${s}" is not a stream name; use letters, digits, "_" and "-"`),
  }),
  NATS_SUBJECT_PREFIX: text({
    default: 'events',
    doc: 'subject prefix: order.created goes to events.order.created',
    check: (s) => (SUBJECT_PREFIX.test(s) && typePatternProblem(s) === null ? null : `"${s}" is not a subject prefix; use dot-separated tokens without wildcards`),
  }),
  STREAM_MAX_AGE: duration({ default: '7d', doc: 'stream max age (24h, 7d)' }),
  STREAM_MAX_MSGS: limit({ of: 'count', doc: 'stream max messages; when reached, new events get 503 (accepted ones are never dropped)' }),
  STREAM_MAX_BYTES: limit({ of: 'size', doc: 'stream max bytes (1GB); when reached, new events get 503 (accepted ones are never dropped)' }),
  STREAM_REPLICAS: integer({ default: '1', min: 1, max: 5, doc: 'JetStream replicas (3 in a cluster)' }),
  STREAM_DUPLICATE_WINDOW: duration({ default: '2m', doc: 'how long the stream remembers an idempotency key (the database remembers for ever)' }),
  NATS_USER: optionalText({ doc: 'NATS user (with NATS_PASSWORD)' }),
  NATS_PASSWORD: optionalText({ doc: 'NATS password (with NATS_USER)' }),
  NATS_TOKEN: optionalText({ doc: 'NATS token' }),
  NATS_CREDS: optionalText({ doc: 'NATS .creds file' }),
  NATS_NKEY_SEED: optionalText({ doc: 'NATS NKey seed, or a file holding it' }),
  NATS_TLS_CA: optionalText({ doc: 'CA file for TLS to NATS; refused credentials or TLS exit 1 with one line' }),
  NATS_TLS_CERT: optionalText({ doc: 'client certificate for mutual TLS (with NATS_TLS_KEY)' }),
  NATS_TLS_KEY: optionalText({ doc: 'client key for mutual TLS (with NATS_TLS_CERT)' }),
  NATS_CONNECT_ATTEMPTS: integer({ default: '5', min: 1, max: 1000, doc: 'first-connection attempts; after it, reconnects for ever' }),
  NATS_CONNECT_DELAY: duration({ default: '500ms', doc: 'delay between first-connection attempts', max: NODE_TIMER_LIMIT }),
  SLUICE_PUBLISH_TIMEOUT: duration({ default: '4s', doc: 'longest wait for a JetStream ack before answering 503, and for a lookup of an event not archived yet; at most 4500ms, so the 503 comes within 5 s', max: PUBLISH_TIMEOUT_LIMIT }),
  DATABASE_URL: optionalText({
    unset: 'embedded database',
    doc: 'PostgreSQL connection string',
    check: (s) => (/^postgres(ql)?:\/\//.test(s) ? null : 'expected a PostgreSQL connection string like postgres://user@host:5432/db'),
  }),
  DATABASE_POOL_SIZE: integer({ default: '10', min: 1, max: 1000, doc: 'PostgreSQL connections per process' }),
  SLUICE_DATA_INDEX: choice<'none' | 'gin'>({
    default: 'none',
    choices: ['none', 'gin'] as const,
    doc: "gin: sluice migrate (and each start that migrates) indexes the archive's JSON data for GET /events?data= searches; it costs write rate (BENCHMARKS.md)",
    problem: (s) => `"${s}" is not an index; use gin or none`,
  }),
  SLUICE_DATA_DIR: text({ default: './.sluice', doc: 'embedded bus and database files' }),
  SLUICE_ENTITIES: optionalText({ unset: './sluice.entities.yaml when it exists', doc: 'entity definition file' }),
  SLUICE_API_KEYS: list({
    unset: 'open',
    doc: 'comma-separated API keys, each with every scope; requests then need Authorization: Bearer KEY (health, metrics and docs stay open)',
  }),
  SLUICE_KEYS_FILE: optionalText({
    doc: 'scoped API keys: hashes, scopes (ingest, read, replay, admin), allowed types, rates; re-read when it changes (see docs/operations.md)',
  }),
  SLUICE_CORS_ORIGINS: list({
    unset: 'none',
    doc: 'comma-separated origins (https://shop.example.com) whose browser pages may call the ingest endpoints',
    check: (origin) => (/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin) ? null : `"${origin.slice(0, 80)}" is not an origin; use scheme://host[:port] like https://shop.example.com (no path, no trailing slash)`),
  }),
  SLUICE_SUBSCRIPTIONS: optionalText({ unset: './sluice.subscriptions.yaml when it exists', doc: 'subscriptions declared in a file; the API can add more' }),
  SLUICE_SUBSCRIPTION_PRIVATE_TARGETS: choice({
    default: 'refuse',
    choices: ['refuse', 'allow'] as const,
    doc: 'allow: subscriptions may deliver to loopback, private and link-local addresses',
    problem: (s) => `"${s}" is not allowed; use allow or refuse`,
  }),
  SLUICE_DELIVERY_BACKOFF: duration({ default: '1s', doc: "a subscription's first retry delay; it doubles with each attempt, at most 10m" }),
  SLUICE_MAX_INFLIGHT: integer({ default: '4096', min: 1, max: 1_000_000, doc: 'events being published at once; past it the gateway answers 429' }),
  METRICS_PORT: optionalInteger({ min: 0, max: 65535, doc: 'an extra port serving /metrics and /health (for a worker)' }),
  SLUICE_CONSUMER: text({
    default: 'sluice-worker',
    doc: 'durable consumer all workers share',
    check: (s) => (STREAM_NAME.test(s) ? null : `"${s}" is not a consumer name; use letters, digits, "_" and "-"`),
  }),
  SLUICE_MAX_DELIVER: integer({ default: '5', min: 1, max: 1000, doc: 'failed deliveries caused by the event itself (never an unreachable database) before it is failed and dead-lettered' }),
  SLUICE_WORKER_BATCH: integer({ default: '1000', min: 1, max: 10_000, doc: 'events per worker transaction' }),
  SLUICE_WORKER_GATHER_MS: integer({
    default: '5',
    min: 0,
    max: 1000,
    doc: 'milliseconds a worker batch that is not full waits for more events once none are pending: fewer, larger transactions at moderate rates (BENCHMARKS.md) for at most that much more time to persisted; 0 hands each event over at once',
  }),
  SLUICE_ACK_WAIT: duration({ default: '30s', doc: 'JetStream ack wait of the worker consumer (at most 2^31-1 ms, about 24.8 days)', max: NODE_TIMER_LIMIT }),
  MAX_BODY_BYTES: size({ default: '1MiB', doc: 'largest request body (KB/MB are 10^3/10^6, KiB/MiB 2^10/2^20)' }),
  MAX_BATCH_EVENTS: integer({ default: '10000', min: 1, max: 1_000_000, doc: 'most events in one batch request' }),
  SLUICE_ARCHIVE_RETENTION: optionalDuration({ unset: 'keep all', doc: 'drop archive day-partitions older than this (90d)' }),
  LOG_LEVEL: choice({
    default: 'info',
    choices: LOG_LEVELS,
    doc: 'pino log level; debug logs one line per request',
    problem: (s) => `"${s}" is not a level; use fatal, error, warn, info, debug, trace or silent`,
  }),
  SLUICE_URL: text({
    default: 'http://127.0.0.1:8080',
    doc: 'where the client commands (sluice send, ...) find a gateway',
    check: (s) => (/^https?:\/\/[^\s]+$/.test(s) ? null : `"${s}" is not an http(s) URL`),
  }),
  SLUICE_API_KEY: optionalText({ doc: 'API key of the client commands' }),
} satisfies Record<string, Variable<unknown>>;

export type VariableName = keyof typeof VARIABLES;

/** Each variable's value, read and checked. */
export type VariableValues = { readonly [N in VariableName]: ReturnType<(typeof VARIABLES)[N]['read']> };
