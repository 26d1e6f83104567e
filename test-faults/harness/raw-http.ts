// HTTP/1.1 over a plain socket: the fuzzer needs to send bytes that fetch would refuse to send
// (invalid UTF-8 in paths and headers, odd header names, bodies written slowly).
import { connect } from 'node:net';

export interface RawRequest {
  readonly method: string;
  /** The request target exactly as sent (bytes, latin1). */
  readonly path: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

export interface RawResponse {
  /** 0: the connection closed (or timed out) before a status line arrived. */
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly error?: string;
}

/** Builds the request bytes; Content-Length is always the body's true length. */
export function encodeRequest(request: RawRequest): Buffer {
  const lines = [`${request.method} ${request.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${request.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), request.body]);
}

/**
 * Sends `bytes` (in the given pieces, `pauseMs` apart, to make a slow body) and reads the answer
 * until the server closes the connection.
 */
export function sendRaw(port: number, pieces: readonly Buffer[], options: { pauseMs?: number; timeoutMs?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks), error));
    };
    const timer = setTimeout(() => finish('timed out'), options.timeoutMs ?? 15_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (error) => finish(error.message));
    socket.on('connect', () => {
      void (async () => {
        for (const piece of pieces) {
          if (socket.destroyed) return;
          socket.write(piece);
          if (options.pauseMs !== undefined) await new Promise((r) => setTimeout(r, options.pauseMs));
        }
      })();
    });
  });
}

function parseResponse(bytes: Buffer, error?: string): RawResponse {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(bytes.subarray(0, 16).toString('latin1'));
  if (match === null) return { status: 0, headers: {}, body: bytes.subarray(0, 300).toString('utf8'), ...(error !== undefined ? { error } : {}) };
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = (headEnd < 0 ? bytes : bytes.subarray(0, headEnd)).toString('latin1');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = headEnd < 0 ? Buffer.alloc(0) : bytes.subarray(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return { status: Number(match[1]), headers, body: body.toString('utf8') };
}

function unchunk(bytes: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}
