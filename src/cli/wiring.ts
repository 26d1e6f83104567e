import { existsSync, readFileSync } from 'node:fs';
import type { BusPort } from '../bus/index.js';
import { loadConfig, type SluiceConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { compileEntities, loadEntityFile, readPath, type EntityDefinition, type EntityModel } from '../entities/index.js';
import { createEntityTables, createSqlStore, type StorePort } from '../store/index.js';
import type { EventEnvelope } from '../envelope/index.js';
import { loadSubscriptionFile, type SubscriptionInput } from '../subscriptions/index.js';

/** The package version, for /health and logs. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Reads the configuration from the process environment (the only place that does). */
export function configFromEnvironment(): SluiceConfig {
  const defaultEntities = './sluice.entities.yaml';
  const defaultSubscriptions = './sluice.subscriptions.yaml';
  return loadConfig(process.env, {
    defaultEntitiesFile: existsSync(defaultEntities) ? defaultEntities : null,
    defaultSubscriptionsFile: existsSync(defaultSubscriptions) ? defaultSubscriptions : null,
  });
}

/** The bus the configuration names: JetStream when NATS_URL is set. */
export async function openBus(config: SluiceConfig, logger: Logger): Promise<BusPort> {
  // Each adapter's libraries load only when it is the one configured (start-up time).
  if (config.nats.servers === null) {
    const { createEmbeddedBus } = await import('../bus/embedded/index.js');
    const embedded = createEmbeddedBus({
      dataDir: config.dataDir,
      stream: config.nats.stream,
      subjectPrefix: config.nats.subjectPrefix,
      duplicateWindowMs: config.nats.duplicateWindowMs,
      maxAgeMs: config.nats.streamMaxAgeMs,
      publishTimeoutMs: config.nats.publishTimeoutMs,
      logger,
    });
    await embedded.start();
    logger.info({ kind: 'embedded', dataDir: config.dataDir }, 'bus ready (embedded; set NATS_URL to use NATS JetStream)');
    return embedded;
  }
  const { createJetStreamBus } = await import('../bus/jetstream/index.js');
  const bus = createJetStreamBus({
    connection: { ...config.nats, servers: config.nats.servers },
    streams: config.nats,
    publishTimeoutMs: config.nats.publishTimeoutMs,
    workerConsumer: config.worker.consumer,
    onEvent: (event) => {
      if (event.kind === 'connect-retry') logger.warn({ attempt: event.attempt, err: event.error }, 'NATS unreachable; retrying');
      else if (event.kind === 'stream-setup-retry') logger.warn({ attempt: event.attempt, err: event.error }, 'JetStream not ready (cluster forming?); retrying stream setup');
      else if (event.kind === 'disconnected') logger.warn({ server: event.server }, 'NATS disconnected');
      else if (event.kind === 'reconnected') logger.info({ server: event.server }, 'NATS reconnected');
      else logger.error({ err: event.error }, 'consumer error');
    },
  });
  await bus.start();
  logger.info({ kind: 'jetstream', servers: config.nats.servers, stream: config.nats.stream }, 'bus ready');
  return bus;
}

/** The store the configuration names: PostgreSQL when DATABASE_URL is set. */
export async function openStore(config: SluiceConfig, logger: Logger): Promise<StorePort> {
  if (config.database.url === null) {
    const { createEmbeddedSqlClient } = await import('../store/embedded/index.js');
    const embedded = await createEmbeddedSqlClient({ dataDir: config.dataDir });
    logger.info({ kind: 'embedded', dataDir: config.dataDir }, 'database ready (embedded PostgreSQL; set DATABASE_URL to use a PostgreSQL server)');
    return createSqlStore(embedded, { entityTables: createEntityTables() });
  }
  const { createPgClient } = await import('../store/postgres/index.js');
  const client = createPgClient({
    url: config.database.url,
    poolSize: config.database.poolSize,
    onError: (error) => logger.warn({ err: error.message }, 'PostgreSQL connection error'),
  });
  logger.info({ kind: 'postgres' }, 'database configured');
  return createSqlStore(client, { entityTables: createEntityTables() });
}

export interface LoadedEntities {
  readonly definitions: readonly EntityDefinition[];
  readonly model: EntityModel | null;
}

/** The entity file, parsed, checked and compiled; none when no file is configured. */
export async function loadEntities(config: SluiceConfig, logger?: Logger): Promise<LoadedEntities> {
  if (config.entitiesFile === null) return { definitions: [], model: null };
  const definitions = await loadEntityFile(config.entitiesFile);
  logger?.info({ file: config.entitiesFile, entities: definitions.map((d) => d.name) }, 'entities loaded');
  return { definitions, model: compileEntities(definitions) };
}

/** The subscription file's definitions; null when no file is configured (those in the database stay). */
export async function loadSubscriptions(config: SluiceConfig, logger?: Logger): Promise<Array<SubscriptionInput & { secret: string }> | null> {
  if (config.subscriptions.file === null) return null;
  const inputs = await loadSubscriptionFile(config.subscriptions.file, process.env);
  logger?.info({ file: config.subscriptions.file, subscriptions: inputs.map((s) => s.name) }, 'subscriptions declared');
  // The file parser refuses a declared subscription without a secret.
  return inputs as Array<SubscriptionInput & { secret: string }>;
}

const keyDecoder = new TextDecoder();

/**
 * The key an `ordered` subscription keeps in order: the entity key (the values of the key
 * fields of the entity the event maps to, read from its JSON data), else the event id.
 */
export function orderingKeyFor(model: EntityModel | null): (envelope: EventEnvelope) => string {
  return (envelope) => {
    const entity = model?.route(envelope.type, envelope.entity)[0] ?? null;
    if (entity === null || entity.definition.key.length === 0) return envelope.id;
    try {
      const data = JSON.parse(keyDecoder.decode(envelope.data)) as unknown;
      const values = entity.definition.key.map((k) => {
        const source = entity.definition.fields.find((f) => f.name === k)?.source;
        if (source?.kind !== 'paths') return undefined;
        return source.paths.map((path) => readPath(data, path)).find((v) => v !== undefined && v !== null);
      });
      if (values.some((v) => v === undefined || v === null)) return envelope.id;
      return `${entity.definition.name}:${JSON.stringify(values)}`;
    } catch {
      return envelope.id;
    }
  };
}
