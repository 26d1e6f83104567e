/**
 * An open-loop load generator: requests start on a fixed schedule (`rate` per second, evenly
 * spaced), whatever the server's answers do, and each latency is counted from the moment the
 * request was due, not from when a connection was free to send it (so a stall is not hidden by
 * requests that were never sent, as with a closed loop). This is how latency "at a rate" is
 * measured: autocannon's `overallRate` lets every connection send its whole second's share as
 * fast as it can at the start of each second, which measures a burst at full load instead.
 *
 * Raw keep-alive sockets, one request in flight per socket, pre-built request bytes. Argument:
 * a JSON object of options; prints one JSON line of results (the shape of bench/load.ts's).
 * With `recordIds` it writes "id<TAB>epoch ms of the answer" lines to that file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { percentile } from './percentile.js';
import { onSchedule } from './schedule.js';

interface PacedOptions {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  bodyFile?: string;
  contentType?: string;
  /** Requests per second, evenly spaced. */
  rate: number;
  durationSeconds: number;
  /** Sockets kept open; a request due while all are busy waits for one (and its wait counts). */
  connections?: number;
  recordIds?: string;
  /** Seconds sent at the rate before measuring starts (JIT and connection warm-up); default 1. */
  warmupSeconds?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as PacedOptions;
const target = new URL(options.url);
const body = options.bodyFile !== undefined ? readFileSync(options.bodyFile) : Buffer.from(options.body ?? '');
const method = options.method ?? 'POST';
const head =
  `${method} ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\nconnection: keep-alive\r\n` +
  (method === 'POST' ? `content-type: ${options.contentType ?? 'application/json'}\r\ncontent-length: ${body.length}\r\n` : '') +
  '\r\n';
const request = method === 'POST' ? Buffer.concat([Buffer.from(head), body]) : Buffer.from(head);

const HEADER_END = Buffer.from('\r\n\r\n');
const ID = /"id":"([0-9a-f-]{36})"/;

interface Connection {
  socket: Socket;
  /** When the request in flight was due (ms, performance.now()); undefined when idle. */
  dueAt: number | undefined;
  pending: Buffer;
}

const latencies: number[] = [];
const accepted: string[] = [];
let non2xx = 0;
let errors = 0;
let warmupAnswered = 0;
/** Requests due before this moment are the warm-up: sent, not measured. Set when the schedule starts. */
let measureFrom = Number.POSITIVE_INFINITY;
const idle: Connection[] = [];
/** Due times of requests waiting for a free connection. */
const backlog: number[] = [];

/** How late each request left this process (its own scheduling, or waiting for a free connection). */
const sendLags: number[] = [];

function send(conn: Connection, dueAt: number): void {
  if (dueAt >= measureFrom) sendLags.push(performance.now() - dueAt);
  conn.dueAt = dueAt;
  conn.socket.write(request);
}

function finish(conn: Connection, status: number, responseBody: Buffer): void {
  const now = performance.now();
  const measured = conn.dueAt! >= measureFrom;
  if (measured) latencies.push(now - conn.dueAt!);
  else warmupAnswered++;
  // Counted with the measured requests only, as `total` is; every accepted id is recorded.
  if (status < 200 || status >= 300) {
    if (measured) non2xx++;
  } else if (options.recordIds !== undefined) {
    const match = ID.exec(responseBody.toString('latin1'));
    if (match !== null) accepted.push(`${match[1]}\t${Date.now()}`);
  }
  conn.dueAt = undefined;
  const next = backlog.shift();
  if (next !== undefined) send(conn, next);
  else idle.push(conn);
}

/** Parses as many whole responses as the buffer holds (content-length bodies only). */
function onData(conn: Connection, chunk: Buffer): void {
  conn.pending = conn.pending.length === 0 ? chunk : Buffer.concat([conn.pending, chunk]);
  for (;;) {
    const end = conn.pending.indexOf(HEADER_END);
    if (end === -1) return;
    const headText = conn.pending.subarray(0, end).toString('latin1');
    const status = Number(headText.slice(9, 12));
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
    const total = end + 4 + length;
    if (conn.pending.length < total) return;
    const responseBody = conn.pending.subarray(end + 4, total);
    conn.pending = conn.pending.subarray(total);
    finish(conn, status, responseBody);
  }
}

async function open(): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    const conn: Connection = { socket, dueAt: undefined, pending: Buffer.alloc(0) };
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => onData(conn, chunk));
  });
}

const connections = await Promise.all(Array.from({ length: options.connections ?? 64 }, open));
for (const conn of connections) {
  conn.socket.on('error', () => errors++);
  idle.push(conn);
}

const warmup = Math.round(options.rate * (options.warmupSeconds ?? 1));
const total = warmup + Math.round(options.rate * options.durationSeconds);
const start = performance.now();
measureFrom = start + warmup * (1000 / options.rate);
await onSchedule(start, options.rate, total, (_, dueAt) => {
  const conn = idle.pop();
  if (conn !== undefined) send(conn, dueAt);
  else backlog.push(dueAt);
});
// Every request issued gets its answer (or the run gives up on it after 10 s).
const deadline = performance.now() + 10_000;
while (warmupAnswered + latencies.length < total && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
const seconds = (performance.now() - measureFrom) / 1000;
for (const conn of connections) conn.socket.destroy();

const sorted = Float64Array.from(latencies).sort();
const round = (ms: number): number => Math.round(ms * 100) / 100;
const lags = Float64Array.from(sendLags).sort();
if (options.recordIds !== undefined) writeFileSync(options.recordIds, accepted.join('\n'));
process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: latencies.length / seconds,
    total: latencies.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    sendLagP99: round(percentile(lags, 99)),
    non2xx,
    errors,
    timeouts: total - warmupAnswered - latencies.length,
    seconds,
  })}\n`,
);
