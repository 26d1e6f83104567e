import { readFileSync } from 'node:fs';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NatsConnection,
} from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { NatsConfigurationError } from './configuration-error.js';

export { NatsConfigurationError };

/** How to reach NATS: the `nats` section of SluiceConfig, or the bus library's options. */
export interface NatsConnectionSettings {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  readonly credsFile?: string;
  /** An NKey seed (`SU...`), or the path of a file holding one. */
  readonly nkeySeed?: string;
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly connectAttempts: number;
  readonly connectDelayMs: number;
  readonly name?: string;
}

/** Builds nats.js connection options: async traces off (they cost a stack trace per request), reconnect for ever. */
export function connectionOptions(settings: NatsConnectionSettings): NodeConnectionOptions {
  const authenticators: Authenticator[] = [];
  if (settings.credsFile !== undefined) authenticators.push(credsAuthenticator(readSecretFile(settings.credsFile, 'NATS_CREDS')));
  if (settings.nkeySeed !== undefined) {
    const seed = settings.nkeySeed.startsWith('S') && !settings.nkeySeed.includes('/') ? settings.nkeySeed : new TextDecoder().decode(readSecretFile(settings.nkeySeed, 'NATS_NKEY_SEED')).trim();
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  const tls = settings.tls === undefined
    ? undefined
    : {
        ...(settings.tls.ca !== undefined ? { caFile: settings.tls.ca } : {}),
        ...(settings.tls.cert !== undefined ? { certFile: settings.tls.cert } : {}),
        ...(settings.tls.key !== undefined ? { keyFile: settings.tls.key } : {}),
      };
  return {
    servers: [...settings.servers],
    name: settings.name ?? 'sluice',
    noAsyncTraces: true,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    timeout: 5_000,
    ...(settings.user !== undefined ? { user: settings.user, pass: settings.password ?? '' } : {}),
    ...(settings.token !== undefined ? { token: settings.token } : {}),
    ...(authenticators.length > 0 ? { authenticator: authenticators } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
}

function readSecretFile(path: string, variable: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new NatsConfigurationError(`NATS: cannot read ${variable} file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** True when retrying cannot help: the server refused the credentials or the TLS handshake failed. */
export function isFatalConnectError(error: unknown): boolean {
  const text = describe(error);
  return /authoriz|authentication|auth(entication)? (violation|expired)|credentials|nkey|signature|permission|certificate|CERT_|SSL|TLS|self[- ]signed|handshake/i.test(text);
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const e = current as { name?: string; message?: string; code?: string; cause?: unknown };
    parts.push(`${e.name ?? ''} ${e.code ?? ''} ${e.message ?? String(current)}`);
    current = e.cause;
  }
  return parts.join(' | ');
}

/**
 * Connects with retry for the first connection (unreachable servers are retried
 * `connectAttempts` times, `connectDelayMs` apart); after that nats.js reconnects for ever.
 * Credentials or TLS refused: NatsConfigurationError at once.
 *
 * Each attempt first opens a probe connection without reconnects: when the server refuses a
 * client certificate after the TLS handshake (TLS 1.3 reports it late), a reconnecting
 * connection only times out and hides the reason, while the probe sees the server's alert.
 */
export async function connectToNats(
  settings: NatsConnectionSettings,
  onRetry?: (attempt: number, error: Error) => void,
): Promise<NatsConnection> {
  const options = connectionOptions(settings);
  let lastError: unknown;
  for (let attempt = 1; attempt <= settings.connectAttempts; attempt++) {
    try {
      const probe = await connect({ ...options, reconnect: false, name: `${options.name ?? 'sluice'}-probe` });
      await probe.close();
      return await connect(options);
    } catch (error) {
      lastError = error;
      const fatal = fatalReason(error, settings);
      if (fatal !== null) {
        throw new NatsConfigurationError(`NATS refused the connection to ${settings.servers.join(',')}: ${fatal}`, { cause: error });
      }
      if (attempt < settings.connectAttempts) {
        onRetry?.(attempt, error as Error);
        await new Promise((resolve) => setTimeout(resolve, settings.connectDelayMs * Math.min(attempt, 10)));
      }
    }
  }
  throw new Error(`NATS is unreachable at ${settings.servers.join(',')} after ${settings.connectAttempts} attempts: ${firstLine(lastError)}`, { cause: lastError });
}

/** The one-line reason when retrying cannot help, else null. */
function fatalReason(error: unknown, settings: NatsConnectionSettings): string | null {
  if (isFatalConnectError(error)) return firstLine(error);
  // A server that requires a client certificate resets a TLS connection that brings none.
  if (settings.tls !== undefined && /ECONNRESET/.test(describe(error))) {
    return settings.tls.cert === undefined
      ? 'the server reset the TLS connection; it may require a client certificate (set NATS_TLS_CERT and NATS_TLS_KEY)'
      : 'the server reset the TLS connection; it may not accept the client certificate in NATS_TLS_CERT';
  }
  return null;
}

function firstLine(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string } };
  const message = e?.message ?? String(error);
  const cause = e?.cause?.message;
  const line = (cause !== undefined && !message.includes(cause) ? `${message} (${cause})` : message).split('\n')[0]!;
  // OpenSSL's messages carry addresses and source paths; keep the reason ("sslv3 alert bad certificate").
  const ssl = /SSL routines:[^:]*:([^:]+)/.exec(line);
  return ssl === null ? line : `TLS handshake failed: ${ssl[1]!.replace(/^sslv3 /, '')}`;
}
