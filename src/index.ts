// The package's main entry (`import { SluiceClient } from 'sluice'`): the HTTP client.
// The bus library has its own entry, `sluice/bus`.
export * from './client/index.js';
