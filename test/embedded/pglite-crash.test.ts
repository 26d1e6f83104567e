import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEmbeddedSqlClient } from '../../src/store/embedded/index.js';
import { runFixture } from './child-process.js';

test('every row committed before a SIGKILL is there after the embedded database reopens', { timeout: 240_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-pglite-crash-'));
  try {
    // The database is created here, not in the child: creating one runs initdb, 2-5 s on a quiet
    // machine but over 30 s on a loaded one, while opening an existing one takes a few seconds.
    await (await createEmbeddedSqlClient({ dataDir })).close();
    let lastCommitted = 0;
    // Two kills: the second one hits a database that already recovered from the first.
    for (let round = 0; round < 2; round++) {
      const child = runFixture('pglite-writer.ts', [dataDir]);
      try {
        await child.waitForLines(1, 60_000);
        assert.equal(child.lines[0], 'ready');
        await child.waitForLines(40, 30_000);
      } finally {
        await child.kill();
      }
      const printed = child.lines.slice(1).map(Number);
      lastCommitted = Math.max(lastCommitted, ...printed);
    }
    const sql = await createEmbeddedSqlClient({ dataDir });
    try {
      const { rows } = await sql.query<{ n: number }>('SELECT n FROM crash_rows ORDER BY n');
      const present = new Set(rows.map((r) => r.n));
      const missing: number[] = [];
      for (let n = 1; n <= lastCommitted; n++) if (!present.has(n)) missing.push(n);
      assert.deepEqual(missing.slice(0, 20), [], `${missing.length} committed rows missing`);
      assert.ok(lastCommitted >= 400, `committed ${lastCommitted} rows before the kills`);
      // Still writable after recovery.
      await sql.query('INSERT INTO crash_rows (n, payload) VALUES ($1, $2)', [lastCommitted + 1000, 'after']);
    } finally {
      await sql.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
