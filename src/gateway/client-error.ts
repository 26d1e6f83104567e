import type { Socket } from 'node:net';
import { SluiceError } from '../errors/index.js';

/**
 * Answers a request that Node's HTTP parser refused before any route ran (a NUL or other
 * forbidden byte in a header, a bad request line, headers over the limit, a body that never
 * finished) in Sluice's error shape, as every other client mistake is; Fastify's default
 * answer has a shape of its own.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const mapped =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new SluiceError('request_timeout', 'the request did not arrive in time')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new SluiceError('headers_too_large', 'the request line and headers are larger than the server accepts')
        : new SluiceError('invalid_body', 'the request is not valid HTTP (a bad request line, or a header with a forbidden character)');
  const reason = mapped.status === 408 ? 'Request Timeout' : mapped.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  const body = JSON.stringify(mapped.toJSON());
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${mapped.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
