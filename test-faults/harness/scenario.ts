// The pieces a scenario starts from: a private nats-server, a fresh database, an entity file in
// a temporary folder, and the environment the sluice processes share.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type ConsumerInfo } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { freePort, startNatsServer, uniqueNames, type NatsServer } from '../../test/helpers/nats.js';
import { ensureBuilt, type SluiceProcess } from './processes.js';

/** Counters per account, upserted by account: the entity state every scenario checks. */
export const ENTITY_FILE = `entities:
  - name: FaultCounter
    table: fault_counters
    types: ["fault.count"]
    key: [account]
    fields:
      account: { type: string, required: true }
      counter: { type: integer, minimum: 0 }
      key: { type: string }
`;

/** The workers' acks as they pass through NATS. */
export interface AckWatch {
  /** Stream messages acked (or nak'd, or marked working) by a second or later delivery: each one was redelivered. */
  redelivered(): number;
  stop(): Promise<void>;
}

/**
 * The stream sequence an ack answers, when that was a redelivery; undefined otherwise. An ack is a
 * publish to the delivery's reply subject, `$JS.ACK.<stream>.<consumer>.<delivered>.<stream
 * seq>.<consumer seq>.<time>.<pending>`; a server that names a domain and an account hash puts them
 * after `$JS.ACK` (11 tokens or more, as nats.js reads it).
 */
function redeliveredSeq(subject: string, stream: string, consumer: string): string | undefined {
  const t = subject.split('.');
  const at = t.length === 9 ? 2 : t.length >= 11 ? 4 : undefined;
  if (at === undefined) return undefined;
  if (t[at] !== stream || t[at + 1] !== consumer) return undefined;
  return Number(t[at + 2]) > 1 ? t[at + 3] : undefined;
}

export interface Scenario {
  readonly dir: string;
  readonly entitiesFile: string;
  readonly nats: NatsServer;
  readonly db: TestDatabase;
  readonly names: { stream: string; prefix: string; consumer: string };
  /** The environment of the scenario's gateways and workers (override per process). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Registers a process to stop at the end. */
  track(proc: SluiceProcess): SluiceProcess;
  consumerInfo(): Promise<ConsumerInfo>;
  /**
   * Watches every ack of the workers' consumer. JetStream's own count of redelivered messages
   * (`num_redelivered`) drops each one as soon as it is acked, so polling it misses a redelivery
   * that another worker settles within milliseconds; the acks themselves do not go unseen.
   */
  watchAcks(): Promise<AckWatch>;
  /** Messages in the dead-letter stream (0 when it does not exist). */
  deadLetters(): Promise<number>;
  freePort(): Promise<number>;
  close(): Promise<void>;
}

export async function startScenario(label: string): Promise<Scenario> {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), `sluice-faults-${label}-`));
  const entitiesFile = join(dir, 'entities.yaml');
  writeFileSync(entitiesFile, ENTITY_FILE);
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const names = uniqueNames(label);
  const processes: SluiceProcess[] = [];
  const jsm = async () => {
    const nc = await connect({ servers: nats.url, reconnect: false });
    return { nc, jsm: await jetstreamManager(nc) };
  };
  return {
    dir,
    entitiesFile,
    nats,
    db,
    names,
    env(extra = {}) {
      return {
        NATS_URL: nats.url,
        NATS_STREAM: names.stream,
        NATS_SUBJECT_PREFIX: names.prefix,
        SLUICE_CONSUMER: names.consumer,
        DATABASE_URL: db.url,
        DATABASE_POOL_SIZE: '3',
        SLUICE_ENTITIES: entitiesFile,
        NATS_CONNECT_ATTEMPTS: '20',
        ...extra,
      };
    },
    track(proc) {
      processes.push(proc);
      return proc;
    },
    async consumerInfo() {
      const { nc, jsm: m } = await jsm();
      try {
        return await m.consumers.info(names.stream, names.consumer);
      } finally {
        await nc.close();
      }
    },
    async watchAcks() {
      const nc = await connect({ servers: nats.url, reconnect: false });
      const seqs = new Set<string>();
      nc.subscribe('$JS.ACK.>', {
        callback: (_error, msg) => {
          const seq = redeliveredSeq(msg.subject, names.stream, names.consumer);
          if (seq !== undefined) seqs.add(seq);
        },
      });
      await nc.flush();
      return { redelivered: () => seqs.size, stop: () => nc.close() };
    },
    async deadLetters() {
      const { nc, jsm: m } = await jsm();
      try {
        const info = await m.streams.info(`${names.stream}_DLQ`).catch(() => null);
        return info === null ? 0 : info.state.messages;
      } finally {
        await nc.close();
      }
    },
    freePort,
    async close() {
      for (const p of processes.reverse()) await p.kill('SIGKILL').catch(() => undefined);
      await nats.destroy().catch(() => undefined);
      await db.drop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asks a process to stop (SIGTERM) and checks that it exits 0: not wedged. */
export async function stopsWhenTold(proc: SluiceProcess): Promise<boolean> {
  if (!proc.running()) return false;
  const result = await proc.kill('SIGTERM', 25_000);
  return result.code === 0;
}
