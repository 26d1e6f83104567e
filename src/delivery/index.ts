export { createDeliveryService } from './delivery-service.js';
export type { DeliveryService, DeliveryServiceOptions } from './delivery-service.js';
export { webhookSignature } from './signature.js';
export { retryDelayMs, settle } from './retry-schedule.js';
export { cloudEventHeaders } from './request-headers.js';
