export { acquireLockFile } from './lock-file.js';
