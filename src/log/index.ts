import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';
export { parseTraceparent, startBatchSpan, traceFields, type TraceParent } from './trace.js';

/**
 * Secrets that may sit in objects handed to the logger. Keys and passwords are never logged on
 * purpose; these paths are the second line of defence.
 */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'password',
  'token',
  'apiKeys',
  'nkeySeed',
  'secret',
  '*.secret',
  '*.password',
  '*.token',
  '*.apiKeys',
  '*.apiKey',
  '*.nkeySeed',
  '*.authorization',
];

/** One JSON line per event of note; secrets never logged. */
export function createLogger(level: string, name = 'sluice'): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
