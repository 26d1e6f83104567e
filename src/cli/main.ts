import { ConfigError, configHelp } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { runServices } from './run-services.js';
import { configFromEnvironment, loadEntities, openStore, packageVersion } from './wiring.js';
import { entityTypeScript } from '../entities/index.js';

const USAGE = `usage: sluice <command>

  dev        gateway + worker in one process (embedded bus/database when NATS_URL/DATABASE_URL are unset)
  gateway    the HTTP ingestion gateway
  worker     a worker: bus -> database, and deliveries to subscriptions
  deliver    deliveries to subscriptions alone (bus -> HTTP endpoints)
  migrate    create or upgrade the tables, then exit
  entities types   print TypeScript types for the declared entities
  entities check [--sample FILE]   check the entity file; show the rows sample events would write
  keys new --name N --scopes S [--types T] [--rate R]   make an API key (printed once) and its keys-file entry

  send TYPE [JSON|@file|-]   publish one event, or NDJSON, through a running gateway
  status ID                  an event's status
  events [--type T] [--since ...] [--limit N]   list archived events
  replay ID... | --type T [--since ...] [--until ...]   re-deliver events
  tail [--type T]            follow new events
  subscriptions list|add|pause|resume|remove|deliveries|replay-failed   manage subscriptions
  (client commands use SLUICE_URL and SLUICE_API_KEY or --api-key; --json for scripts; --help on each)
  version    print the version

Configuration comes from the environment: sluice --help lists the variables.`;

/** The `sluice` command. Returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev':
      return serve({ gateway: true, worker: true, migrate: true, deliver: true });
    case 'gateway':
      return serve({ gateway: true, worker: false, migrate: false });
    case 'worker':
      return serve({ gateway: false, worker: true, migrate: true, deliver: true });
    case 'deliver':
      return serve({ gateway: false, worker: false, migrate: true, deliver: true });
    case 'migrate':
      return migrateOnly();
    case 'send':
    case 'status':
    case 'events':
    case 'replay':
    case 'subscriptions':
    case 'tail':
      return clientCommand(command, rest);
    case 'entities':
      return entitiesCommand(rest);
    case 'keys': {
      const { run } = await import('./commands/keys.js');
      return run(rest, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
    }
    case 'version':
    case '--version':
      console.log(packageVersion());
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      if (command === undefined) {
        console.log(USAGE);
        return 2;
      }
      console.log(`${USAGE}\n\n${configHelp()}`);
      return 0;
    default:
      console.error(`sluice: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function serve(parts: { gateway: boolean; worker: boolean; migrate: boolean; deliver?: boolean }): Promise<number> {
  const config = loadOrExit();
  if (config === null) return 1;
  const logger = createLogger(config.logLevel);
  // Listen for the stop signal before starting, so a SIGTERM during start-up still stops gracefully.
  const stopRequested = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  let services;
  try {
    services = await runServices(config, logger, parts);
  } catch (error) {
    return startupFailure(error);
  }
  await stopRequested;
  const forced = setTimeout(() => {
    logger.error('graceful stop took longer than 20 s; exiting');
    process.exit(1);
  }, 20_000);
  forced.unref();
  await services.stop();
  logger.info('stopped');
  return 0;
}

async function migrateOnly(): Promise<number> {
  const config = loadOrExit();
  if (config === null) return 1;
  const logger = createLogger(config.logLevel);
  try {
    const entities = await loadEntities(config, logger);
    const store = await openStore(config, logger);
    try {
      await store.migrate(entities.definitions, { dataIndex: config.database.dataIndex });
    } finally {
      await store.close();
    }
    logger.info('database migrated');
    return 0;
  } catch (error) {
    return startupFailure(error);
  }
}

function loadOrExit() {
  try {
    return configFromEnvironment();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`sluice: configuration error: ${error.message}`);
      return null;
    }
    throw error;
  }
}

function startupFailure(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  // NATS refused credentials or TLS: its message already names NATS and the cause.
  if (error instanceof Error && error.name === 'NatsConfigurationError') console.error(`sluice: ${message}`);
  else console.error(`sluice: cannot start: ${message.split('\n')[0]}`);
  return 1;
}

async function entitiesCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'types' && sub !== 'check') {
    console.error('usage: sluice entities types | sluice entities check [--sample FILE]   (reads SLUICE_ENTITIES or ./sluice.entities.yaml)');
    return 2;
  }
  const config = loadOrExit();
  if (config === null) return 1;
  try {
    const { definitions } = await loadEntities(config);
    if (config.entitiesFile === null) {
      console.error('sluice: no entity file: set SLUICE_ENTITIES or create ./sluice.entities.yaml');
      return 1;
    }
    if (sub === 'check') {
      const { run } = await import('./commands/entities-check.js');
      return await run(rest, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }, config.entitiesFile, definitions);
    }
    process.stdout.write(entityTypeScript(definitions));
    return 0;
  } catch (error) {
    if (error instanceof Error && error.name === 'EntityFileError') {
      console.error(`sluice: ${error.message}`);
      return 1;
    }
    return startupFailure(error);
  }
}

async function clientCommand(command: 'send' | 'status' | 'events' | 'replay' | 'tail' | 'subscriptions', args: string[]): Promise<number> {
  const modules = {
    send: () => import('./commands/send.js'),
    status: () => import('./commands/status.js'),
    events: () => import('./commands/events.js'),
    replay: () => import('./commands/replay.js'),
    tail: () => import('./commands/tail.js'),
    subscriptions: () => import('./commands/subscriptions.js'),
  };
  const { run } = await modules[command]();
  return run(args, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
}
