/** Starting the servers under test: `sluice gateway|worker|dev` and the baselines of bench/servers/. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { TestDatabase } from '../../test/helpers/db.js';
import { freePort, type NatsServer } from '../../test/helpers/nats.js';
import { eventBody } from '../payload.js';
import { ROOT, startProcess, waitFor } from './processes.js';

export const BODY = eventBody(1);
/** Connections of the full-speed single-event rounds. */
export const CONNECTIONS = 100;
export const BATCH_LINES = 1000;
export const BATCH_CONNECTIONS = 4;

export const postEvent = async (url: string, authorization?: string): Promise<boolean> =>
  (await fetch(`${url}/events/order.created`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) }, body: BODY })).status === 202;

export interface SluiceNames {
  stream: string;
  prefix: string;
  consumer: string;
}

let runTag = 0;
/** A stream, subject prefix and consumer of their own for one section. */
export function names(label: string): SluiceNames {
  runTag++;
  const tag = label.replace(/[^a-z0-9]/gi, '_');
  return { stream: `BENCH_${tag.toUpperCase()}_${runTag}`, prefix: `bench${runTag}`, consumer: `bench_${tag}_${runTag}` };
}

/** The environment of a Sluice process on the bench's nats-server and a database; entities from bench/entities.yaml unless `entities: false`. */
export function sluiceEnv(nats: NatsServer, db: TestDatabase, n: SluiceNames, more: Record<string, string> = {}, entities = true): Record<string, string> {
  return {
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    NATS_STREAM: n.stream,
    NATS_SUBJECT_PREFIX: n.prefix,
    SLUICE_CONSUMER: n.consumer,
    ...(entities ? { SLUICE_ENTITIES: join(ROOT, 'bench/entities.yaml') } : {}),
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...more,
  };
}

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

/** Starts `sluice <command>` and waits for its first 202; returns the start-up time. */
export async function startGateway(command: 'gateway' | 'dev', env: Record<string, string>, options: { authorization?: string; profileAs?: string } = {}): Promise<Server & { startupMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = startProcess(['bin/sluice.js', command], { env: { ...env, PORT: String(port) }, profileAs: options.profileAs ?? command });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => postEvent(url, options.authorization), `sluice ${command} to accept an event`, 30_000, 5);
  return { child, url, startupMs: performance.now() - t0 };
}

export function startWorker(env: Record<string, string>, profileAs = 'worker'): ChildProcess {
  return startProcess(['bin/sluice.js', 'worker'], { env, profileAs });
}

/** Starts a server of bench/servers/ (`node --import tsx SCRIPT PORT ARGS`) and waits for its first 202. */
export async function startBaseline(script: string, args: string[], profileAs?: string): Promise<Server & { startupMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = startProcess(['--import', 'tsx', script, String(port), ...args], profileAs !== undefined ? { profileAs } : {});
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => postEvent(url), `${script} to listen`, 30_000, 5);
  return { child, url, startupMs: performance.now() - t0 };
}

/** The load of the single-event rows: one 256-byte JSON event per POST /events/order.created. */
export function singleLoad(url: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: `${url}/events/order.created`, body: BODY, contentType: 'application/json', connections: CONNECTIONS, ...more };
}

export async function consumerState(jsm: JetStreamManager, stream: string, consumer: string): Promise<{ acked: number; done: boolean; delivered: number }> {
  const info = await jsm.consumers.info(stream, consumer);
  return { acked: info.ack_floor.stream_seq, delivered: info.delivered.stream_seq, done: info.num_pending === 0 && info.num_ack_pending === 0 };
}
