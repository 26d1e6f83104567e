export { accessHook, checkKeyAllowsType, keyUsageHook, typeNotAllowedError } from './access-hook.js';
export { registerCors } from './cors.js';
export { KeysFileError, parseKeysFile, type ApiKey } from './key-file.js';
export { KeyRing, keyAllowsType, keyDigest } from './key-ring.js';
export { KeysFileWatcher } from './keys-file-watcher.js';
export { scopeFor } from './route-scopes.js';
export { SCOPES, type Scope } from './scopes.js';
export { TokenBucket } from './token-bucket.js';
