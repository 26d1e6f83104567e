import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { SHARED_NATS_URL } from './nats.js';
import { eventually, http } from './pipeline.js';
import type { TestDatabase } from './db.js';

const EXAMPLE = new URL('../../examples/sluice.entities.yaml', import.meta.url);

/** Writes an entity file (the example's by default) into a fresh temp dir; returns its path. */
export function writeEntityFile(text: string = readFileSync(EXAMPLE, 'utf8'), name = 'sluice.entities.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flow-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

type BatchAnswer = { accepted: number; rejected: number; results: Array<{ line: number; message_id?: string; error?: { code: string } }> };

/**
 * Sends records as NDJSON through POST /ingest/batch (1000 lines a request, requests one
 * after another so stream order follows the array); returns the ids in order.
 */
export async function sendRecords(url: string, type: string, records: readonly unknown[], options: { key?: string; source?: string } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < records.length; start += 1000) {
    const chunk = records.slice(start, start + 1000);
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
    if (options.key !== undefined) headers['idempotency-key'] = `${options.key}-${start}`;
    if (options.source !== undefined) headers['x-source'] = options.source;
    const r = await http<BatchAnswer>(`${url}/ingest/batch?type=${encodeURIComponent(type)}`, { raw: chunk.map((c) => JSON.stringify(c)).join('\n'), headers });
    if (r.status !== 202 || r.body.accepted !== chunk.length) throw new Error(`batch of ${type} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
    ids.push(...r.body.results.map((x) => x.message_id!));
  }
  return ids;
}

/** Waits until every id has a settled status (persisted or failed). */
export async function waitSettled(db: TestDatabase, ids: readonly string[], timeoutMs = 60_000): Promise<void> {
  await eventually(async () => {
    const rows = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) AND status IN ('persisted', 'failed')",
      [ids],
    );
    return Number(rows[0]!.n) === ids.length ? true : undefined;
  }, timeoutMs, `${ids.length} events settled`);
}

export interface DeadLetter {
  readonly id: string;
  readonly type: string;
  readonly reason: string;
  readonly subject: string;
}

/** Every message in the `<stream>_DLQ` stream. */
export async function readDeadLetters(stream: string, natsUrl = SHARED_NATS_URL): Promise<DeadLetter[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`${stream}_DLQ`);
    const out: DeadLetter[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(`${stream}_DLQ`, { seq }).catch(() => null);
      if (m === null) continue;
      out.push({ id: m.header.get('ce-id'), type: m.header.get('ce-type'), reason: m.header.get('sluice-dlq-reason'), subject: m.subject });
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Waits for a replay to report `done`; returns its last progress. */
export async function waitReplayDone(url: string, replayId: string, timeoutMs = 30_000): Promise<{ status: string; matched: number; published: number }> {
  return eventually(async () => {
    const r = await http<{ status: string; matched: number; published: number }>(`${url}/replay/${replayId}`);
    return r.status === 200 && r.body.status === 'done' ? r.body : undefined;
  }, timeoutMs, `replay ${replayId} done`);
}
