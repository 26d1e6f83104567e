export { SluiceClient } from './client.js';
export type { CallOptions } from './client.js';
export { SluiceApiError, SluiceConnectionError } from './errors.js';
export type {
  AcceptedEvent,
  ApiErrorDetail,
  BatchLineResult,
  BatchOptions,
  BatchResult,
  CloudEventResult,
  EventPage,
  HealthReport,
  KeyInfo,
  ListFilter,
  MessageState,
  MessageStatus,
  ReplayAccepted,
  ReplayRequest,
  ReplayStatus,
  SendOptions,
  SluiceClientOptions,
  StoredEvent,
} from './types.js';
