/** GET /events page times and the list query's plan over a large archive (`--archive N`). */
import type { TestDatabase } from '../../test/helpers/db.js';
import type { BenchContext } from '../harness/context.js';
import { log } from '../harness/processes.js';
import { percentile } from '../percentile.js';

export async function runArchiveListing(ctx: BenchContext, db: TestDatabase, url: string): Promise<void> {
  const { report } = ctx;
  const rows = ctx.options.archiveRows;
  log(`archive listing: inserting ${rows} rows`);
  const t0 = performance.now();
  await db.query('TRUNCATE sluice.events');
  // Spread over the partitions of yesterday, today and tomorrow, in stream order.
  await db.query(
    `INSERT INTO sluice.events (id, type, source, time, received_at, stream_seq, data)
     SELECT gen_random_uuid(), CASE WHEN g % 4 = 0 THEN 'order.created' ELSE 'page.viewed' END, '/bench',
            now() - interval '1 day' + (g::float8 / $1) * interval '2 days', now() - interval '1 day' + (g::float8 / $1) * interval '2 days',
            g, '{"order_id":"o","status":"paid","total":1}'::jsonb
     FROM generate_series(1, $1::bigint) AS g`,
    [rows],
  );
  await db.query('ANALYZE sluice.events');
  report.extra.archiveRows = rows;
  report.extra.archiveInsertSeconds = Math.round((performance.now() - t0) / 100) / 10;
  const pages: Record<string, number[]> = { first: [], typed: [] };
  for (let i = 0; i < 50; i++) {
    for (const [name, path] of [['first', '/events?limit=100'], ['typed', '/events?limit=100&type=order.created']] as const) {
      const started = performance.now();
      const response = await fetch(`${url}${path}`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
      pages[name]!.push(performance.now() - started);
    }
  }
  for (const [name, times] of Object.entries(pages)) {
    times.sort((a, b) => a - b);
    const p50 = Math.round(percentile(times, 50) * 10) / 10;
    const p99 = Math.round(percentile(times, 99) * 10) / 10;
    report.extra[`listPage_${name}_p50Ms`] = p50;
    report.extra[`listPage_${name}_p99Ms`] = p99;
    report.lines.push(`GET /events page (${name === 'first' ? 'first page' : 'type=order.created'}) over ${rows} rows: p50 ${p50} ms, p99 ${p99} ms`);
  }
  const plan = await db.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) SELECT id, type, source, subject, time, received_at, stream_seq, data::text AS data_text, origin_id, entity_type, traceparent, extensions
     FROM sluice.events WHERE stream_seq > $1 AND stream_seq <= $2 AND type = $3 ORDER BY stream_seq LIMIT 100`,
    [Math.floor(rows / 2), rows, 'order.created'],
  );
  process.stdout.write(`\nEXPLAIN ANALYZE, list query (type filter, from the middle of ${rows} rows):\n${plan.map((p) => p['QUERY PLAN']).join('\n')}\n`);
}
