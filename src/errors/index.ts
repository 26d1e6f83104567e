export { ERROR_STATUS, SluiceError, asError } from './codes.js';
export type { ErrorCode } from './codes.js';
