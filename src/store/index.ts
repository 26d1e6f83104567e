export type {
  AttemptRecord,
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryState,
  SubscriptionCounts,
  SubscriptionRecords,
  EventQuery,
  MessageState,
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
export { StoreUnavailableError, isConnectionError } from './sql-client.js';
export { createSqlStore } from './sql-store.js';
export type { EntityTables } from './sql-store.js';
export { migrate } from './migrate.js';
export { createEntityTables } from './entity-tables.js';
