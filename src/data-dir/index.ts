export { acquireLockFile } from './lock-file.js';
export { ownerOnlyDirectory } from './owner-only.js';
