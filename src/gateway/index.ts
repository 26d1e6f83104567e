export { buildGateway } from './app.js';
export type { Gateway, GatewayOptions } from './app.js';
export type { RouteInfo } from './route-list.js';
export { KeysFileError, SCOPES, keyDigest, parseKeysFile, type ApiKey, type Scope } from './keys/index.js';
