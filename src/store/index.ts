export type {
  AttemptRecord,
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryState,
  SubscriptionCounts,
  SubscriptionRecords,
  EventQuery,
  MessageState,
  MigrateOptions,
  MessageStatusRecord,
  ProgressMark,
  ReplayProgress,
  ReplaySelector,
  StorePort,
  StoredEvent,
  WriteItem,
  WriteOutcome,
} from './port.js';
export type { SqlClient, SqlExecutor, SqlResult } from './sql-client.js';
export type { DataIndex } from './queries/data-index.js';
export { StoreUnavailableError, isConnectionError } from './sql-client.js';
export { createSqlStore } from './sql-store.js';
export type { EntityTables } from './sql-store.js';
export { migrate } from './migrate.js';
export { createEntityTables } from './entity-tables.js';
