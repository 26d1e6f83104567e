/** NDJSON batches of 1000 events through the gateway, as fast as 4 connections go. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { httpRow, measure, wrkLine } from '../harness/http-load.js';
import { log, stopProcess } from '../harness/processes.js';
import { BATCH_CONNECTIONS, BATCH_LINES, names, sluiceEnv, startGateway } from '../harness/servers.js';
import { eventBody } from '../payload.js';
import { RAW } from './raw.js';

export const BATCH = `sluice NDJSON batches of ${BATCH_LINES}`;

/** A file of BATCH_LINES events, one JSON document a line (shared with the persist-batch section). */
export function batchFile(scratch: string): string {
  const file = join(scratch, 'batch.ndjson');
  writeFileSync(file, Array.from({ length: BATCH_LINES }, (_, i) => eventBody(i)).join('\n'));
  return file;
}

export async function runBatch(ctx: BenchContext): Promise<void> {
  log('sluice gateway, NDJSON batches');
  const n = names('batch');
  const { child, url } = await startGateway('gateway', sluiceEnv(ctx.nats, ctx.db, n, { SLUICE_MAX_INFLIGHT: String(BATCH_LINES * BATCH_CONNECTIONS * 2) }), { profileAs: 'batch-gateway' });
  const load = { url: `${url}/ingest/batch?type=order.created`, bodyFile: batchFile(ctx.scratch), contentType: 'application/x-ndjson', connections: BATCH_CONNECTIONS, durationSeconds: ctx.options.seconds };
  const r = await measure(child.pid!, load, ctx.options.wrk);
  if (r.wrk !== undefined) ctx.report.wrkRows.push(wrkLine(BATCH, BATCH_CONNECTIONS, [r.wrk]));
  ctx.report.rows.push(httpRow(BATCH, r, BATCH_LINES, RAW));
  await stopProcess(child);
  await ctx.jsm.streams.delete(n.stream);
}
