export { createEmbeddedSqlClient } from './embedded-sql-client.js';
export type { EmbeddedSqlOptions } from './embedded-sql-client.js';
