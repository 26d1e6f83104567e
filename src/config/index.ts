export { ConfigError, loadConfig, readVariables } from './config.js';
export type { SluiceConfig } from './config.js';
export { VARIABLES } from './variables.js';
export type { VariableName, VariableValues } from './variables.js';
export type { Variable } from './variable-kinds.js';
export { configHelp, configTable, envExample } from './variable-docs.js';
export { parseDuration, parseInteger, parseSize } from './units.js';
