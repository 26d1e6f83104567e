import { parseArgs } from 'node:util';
import { SluiceApiError, SluiceClient, SluiceConnectionError } from '../../client/index.js';
import type { CommandIo } from './io.js';

/** Where the client commands look for a gateway when neither `--url` nor `SLUICE_URL` says. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

/** Bad usage: the command prints one line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Options every client command takes. */
export const COMMON_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type ParseConfig = Parameters<typeof parseArgs>[0] & object;

/** parseArgs, with its complaints turned into UsageErrors. */
export function parseCommandArgs<T extends ParseConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (thrown) {
    throw new UsageError(thrown instanceof Error ? thrown.message : String(thrown));
  }
}

/** A client for the gateway named by `--url`/`SLUICE_URL` and `--api-key`/`SLUICE_API_KEY`. */
export function clientFrom(
  values: { url?: string; 'api-key'?: string },
  env: CommandIo['env'],
  options: { retries?: number } = {},
): SluiceClient {
  const url = nonEmpty(values.url) ?? nonEmpty(env.SLUICE_URL) ?? DEFAULT_GATEWAY_URL;
  const apiKey = nonEmpty(values['api-key']) ?? nonEmpty(env.SLUICE_API_KEY);
  try {
    return new SluiceClient({ url, apiKey, retries: options.retries ?? 0 });
  } catch (thrown) {
    throw new UsageError(thrown instanceof Error ? thrown.message : String(thrown));
  }
}

/** A whole number in [min, max], or a UsageError naming the option. */
export function integerOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return Number(text);
}

/**
 * Runs a command body and turns failures into the exit codes the CLI promises:
 * 2 with one line for bad usage, 1 with `code: message` for API and connection errors.
 */
export async function runCommand(name: string, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (thrown) {
    if (thrown instanceof UsageError) {
      io.stderr.write(`sluice ${name}: ${thrown.message} (see sluice ${name} --help)\n`);
      return 2;
    }
    io.stderr.write(`${describeFailure(thrown)}\n`);
    return 1;
  }
}

/** One line for a failed call: `code: message`. */
export function describeFailure(thrown: unknown): string {
  if (thrown instanceof SluiceApiError || thrown instanceof SluiceConnectionError) return `${thrown.code}: ${thrown.message}`;
  return `error: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
}

/** Errors worth waiting out in a long-running command: the gateway is away or shedding load. */
export function isTransient(thrown: unknown): boolean {
  return thrown instanceof SluiceConnectionError || (thrown instanceof SluiceApiError && thrown.retryable);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
