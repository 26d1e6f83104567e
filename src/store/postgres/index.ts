export { createPgClient } from './pg-client.js';
export type { PgClientOptions } from './pg-client.js';
