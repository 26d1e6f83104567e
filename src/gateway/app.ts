import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { BusPort } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import type { SluiceMetrics } from '../metrics/index.js';
import type { StorePort } from '../store/index.js';
import { answerClientError } from './client-error.js';
import { accessHook, KeyRing, KeysFileWatcher, keyUsageHook, registerCors } from './keys/index.js';
import { errorHandler, sendError, toSluiceError } from './error-reply.js';
import { SluiceError } from '../errors/index.js';
import { Publisher } from './publisher.js';
import { Replayer } from './replayer.js';
import { registerRequestLog } from './request-log.js';
import { routeOptions, type GatewayConfig } from './route-options.js';
import { collectRoutes, type RouteInfo } from './route-list.js';
import { registerAuthKey } from './routes/auth-key.js';
import { registerCloudEventsIngest } from './routes/cloudevents.js';
import { registerMessageIngest } from './routes/ingest-message.js';
import { registerTypedIngest } from './routes/ingest-typed.js';
import { registerListEvents } from './routes/list-events.js';
import { registerLookups } from './routes/lookup.js';
import { registerOperate } from './routes/operate.js';
import { registerReplay } from './routes/replay.js';
import { registerSubscriptions } from './routes/subscriptions.js';
import { StoreHealth } from './store-health.js';

export interface GatewayOptions {
  readonly bus: BusPort;
  readonly store: StorePort;
  /** Only what the gateway reads: a whole `SluiceConfig` fits, and the routes get their part of it (`routeOptions`). */
  readonly config: GatewayConfig;
  readonly metrics: SluiceMetrics;
  readonly logger: Logger;
  readonly version: string;
  /** Extra routes (the console) registered after the API. */
  readonly plugins?: ReadonlyArray<(app: FastifyInstance) => Promise<void> | void>;
}

export interface Gateway {
  readonly app: FastifyInstance;
  /** Every route registered, in order (HEAD routes Fastify adds included). */
  readonly routes: readonly RouteInfo[];
  /** Listens on the configured host and port; resolves to the bound address. */
  listen(): Promise<string>;
  /** Stops accepting, finishes in-flight requests and replays. */
  stop(): Promise<void>;
}

/** Longest a stopping gateway waits for its replays to reach their next page (as long as a worker waits for its batch). */
const REPLAY_STOP_TIMEOUT_MS = 10_000;
const EMPTY_BODY = Buffer.alloc(0);

/** Builds the HTTP gateway on the given ports (bus, store). */
export async function buildGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const app = Fastify({
    bodyLimit: config.http.maxBodyBytes,
    return503OnClosing: true,
    requestTimeout: 60_000,
    connectionTimeout: 120_000,
    keepAliveTimeout: 72_000,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 500 },
    clientErrorHandler: answerClientError,
    // A path Fastify cannot decode (%FF) fails before routing; answer it in Sluice's shape too.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, error.statusCode !== undefined && error.statusCode < 500 ? new SluiceError('invalid_parameter', `the path is not valid: ${error.message.slice(0, 200)}`) : toSluiceError(error));
    },
  });
  const storeHealth = new StoreHealth(options.store, (connected) => options.metrics.databaseUp.set(connected ? 1 : 0));
  const replayer = new Replayer(options.bus, options.store, options.logger, config.worker.consumer);
  const given = routeOptions(
    {
      bus: options.bus,
      store: options.store,
      metrics: options.metrics,
      logger: options.logger,
      version: options.version,
      publisher: new Publisher(options.bus, config.http.maxInflight, options.metrics),
      replayer,
      storeHealth,
    },
    config,
  );

  // Bodies of every content type arrive as bytes: the ingest routes keep them as the event's
  // data, checking JSON once; a route that needs one type (replay's JSON) says so with a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // A request with no body (Content-Length: 0) runs no parser: give the routes empty bytes, which they refuse with a 400.
  // Callback hooks, not async ones: these run on every request, and an async hook costs a promise and a microtask turn.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') request.body = EMPTY_BODY;
    done();
  });

  app.setErrorHandler(errorHandler(given.observe));
  app.setNotFoundHandler((request, reply) => sendError(reply, new SluiceError('not_found', `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`)));
  const routes = collectRoutes(app);
  registerRequestLog(app, given.observe);
  const keysOn = config.http.apiKeys.length > 0 || config.http.keysFile !== null;
  const ring = KeyRing.fromEnvironment(config.http.apiKeys);
  const keysFile = config.http.keysFile === null ? undefined : new KeysFileWatcher(config.http.keysFile, (keys) => ring.replaceFileKeys(keys), options.logger);
  keysFile?.start();
  app.decorateRequest('apiKey', null);
  // CORS first, so a browser can read a 401 or 403 too.
  if (config.http.corsOrigins.length > 0) registerCors(app, config.http.corsOrigins);
  if (keysOn) {
    app.addHook('onRequest', accessHook(ring));
    app.addHook('onResponse', keyUsageHook(options.metrics, options.logger));
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Sluice', version: options.version, description: 'Event ingestion: HTTP in, NATS JetStream in the middle, PostgreSQL out.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      ...(keysOn ? { security: [{ apiKey: [] }] } : {}),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerTypedIngest(app, given.typedIngest);
  registerCloudEventsIngest(app, given.cloudEventsIngest);
  registerMessageIngest(app, given.messageIngest);
  registerLookups(app, given.lookups);
  registerListEvents(app, given.listEvents);
  registerReplay(app, given.replay);
  registerSubscriptions(app, given.subscriptions);
  registerOperate(app, given.operate);
  registerAuthKey(app);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  for (const plugin of options.plugins ?? []) await plugin(app);

  await app.ready();
  storeHealth.start();
  return {
    app,
    routes,
    async listen() {
      return app.listen({ port: config.http.port, host: config.http.host });
    },
    async stop() {
      keysFile?.stop();
      storeHealth.stop();
      await app.close();
      await replayer.drain(REPLAY_STOP_TIMEOUT_MS);
    },
  };
}
