export { ConfigError, ENVIRONMENT_VARIABLES, loadConfig } from './config.js';
export type { SluiceConfig } from './config.js';
export { parseDuration, parseInteger, parseSize } from './units.js';
