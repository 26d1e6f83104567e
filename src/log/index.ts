import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** One JSON line per event of note; secrets never logged (auth headers are redacted). */
export function createLogger(level: string, name = 'sluice'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
