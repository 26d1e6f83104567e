import type { NatsConnectionSettings, StreamSettings } from '../bus/index.js';
import { loadConfig, type SluiceConfig } from '../config/index.js';
import { typePatternProblem } from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';
import { JetStreamEngine, type JetStreamEngineSettings } from './jetstream-engine.js';
import { MemoryEngine } from './memory-engine.js';
import { TypedBus } from './typed-bus.js';
import type { AnyEvents, Bus, BusConfig, EventMap, JetStreamBusConfig } from './types.js';

const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const DEFAULT_URL = 'nats://127.0.0.1:4222';

/**
 * Creates an event bus. `Events` maps each event type to its data type, so publishing the
 * wrong data, or subscribing to a pattern no declared type matches, does not compile.
 *
 * - `createBus({ kind: 'memory' })`: in this process only (`MemoryBusConfig` says what it does not promise).
 * - `createBus({ kind: 'jetstream', url, stream, subjectPrefix, ... })`: NATS JetStream,
 *   the same stream and wire format as Sluice's gateway and workers. The stream is created
 *   when missing (with Sluice's default limits) and left as it is when it exists.
 * - `createBus()`: the environment Sluice reads (`NATS_URL`, `NATS_STREAM`, ...). With
 *   `NATS_URL` set it is the JetStream bus, and the stream is created or updated to the
 *   `STREAM_*` settings as the gateway does; with `NATS_URL` unset it is the memory bus
 *   (Sluice's embedded bus belongs to the `sluice dev` process and is not shared).
 *
 * It connects on first use; `await bus.ready()` to find out early that it cannot.
 * Configuration mistakes throw here (ConfigError for the environment, SluiceError otherwise).
 */
export function createBus<Events extends EventMap = AnyEvents>(config?: BusConfig): Bus<Events> {
  if (config === undefined) return busFromConfig<Events>(loadConfig(process.env));
  if (config.kind === 'memory') return new TypedBus<Events>(new MemoryEngine());
  if (config.kind === 'jetstream') return new TypedBus<Events>(new JetStreamEngine(jetStreamSettings(config)));
  throw new SluiceError('invalid_parameter', `unknown bus kind "${String((config as { kind?: unknown }).kind)}"; use "memory" or "jetstream"`);
}

/** The bus the environment describes (`createBus()`), from an already loaded configuration. */
export function busFromConfig<Events extends EventMap = AnyEvents>(config: SluiceConfig): Bus<Events> {
  const nats = config.nats;
  if (nats.servers === null) return new TypedBus<Events>(new MemoryEngine());
  const connection: NatsConnectionSettings = {
    servers: nats.servers,
    connectAttempts: nats.connectAttempts,
    connectDelayMs: nats.connectDelayMs,
    name: 'sluice-bus',
    ...(nats.user !== undefined ? { user: nats.user, password: nats.password ?? '' } : {}),
    ...(nats.token !== undefined ? { token: nats.token } : {}),
    ...(nats.credsFile !== undefined ? { credsFile: nats.credsFile } : {}),
    ...(nats.nkeySeed !== undefined ? { nkeySeed: nats.nkeySeed } : {}),
    ...(nats.tls !== undefined ? { tls: nats.tls } : {}),
  };
  return new TypedBus<Events>(
    new JetStreamEngine({ connection, stream: streamSettings(nats), updateStream: true, publishTimeoutMs: nats.publishTimeoutMs }),
  );
}

function jetStreamSettings(config: JetStreamBusConfig): JetStreamEngineSettings {
  const defaults = loadConfig({}).nats;
  const urls = config.url === undefined ? [DEFAULT_URL] : typeof config.url === 'string' ? config.url.split(',') : [...config.url];
  const servers = urls.map((u) => u.trim()).filter((u) => u.length > 0);
  if (servers.length === 0) throw new SluiceError('invalid_parameter', 'url: give at least one NATS server URL');
  const stream = config.stream ?? defaults.stream;
  if (!STREAM_NAME.test(stream)) throw new SluiceError('invalid_parameter', `stream: "${stream.slice(0, 60)}" is not a stream name; use letters, digits, "_" and "-"`);
  const subjectPrefix = config.subjectPrefix ?? defaults.subjectPrefix;
  if (typePatternProblem(subjectPrefix) !== null || /[*>]/.test(subjectPrefix)) {
    throw new SluiceError('invalid_parameter', `subjectPrefix: "${subjectPrefix.slice(0, 60)}" is not a subject prefix; use dot-separated tokens without wildcards`);
  }
  if ((config.tls?.cert === undefined) !== (config.tls?.key === undefined)) {
    throw new SluiceError('invalid_parameter', 'tls: mutual TLS needs both cert and key');
  }
  const connection: NatsConnectionSettings = {
    servers,
    connectAttempts: defaults.connectAttempts,
    connectDelayMs: defaults.connectDelayMs,
    name: config.name ?? 'sluice-bus',
    ...(config.user !== undefined ? { user: config.user, password: config.password ?? '' } : {}),
    ...(config.token !== undefined ? { token: config.token } : {}),
    ...(config.creds !== undefined ? { credsFile: config.creds } : {}),
    ...(config.nkeySeed !== undefined ? { nkeySeed: config.nkeySeed } : {}),
    ...(config.tls !== undefined ? { tls: config.tls } : {}),
  };
  return {
    connection,
    stream: streamSettings({ ...defaults, stream, subjectPrefix }),
    updateStream: false,
    publishTimeoutMs: config.publishTimeoutMs ?? defaults.publishTimeoutMs,
  };
}

function streamSettings(nats: SluiceConfig['nats']): StreamSettings {
  return {
    stream: nats.stream,
    subjectPrefix: nats.subjectPrefix,
    streamMaxAgeMs: nats.streamMaxAgeMs,
    streamMaxMsgs: nats.streamMaxMsgs,
    streamMaxBytes: nats.streamMaxBytes,
    replicas: nats.replicas,
    duplicateWindowMs: nats.duplicateWindowMs,
  };
}
