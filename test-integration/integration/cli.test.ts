import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { SHARED_NATS_URL, deleteStreams, freePort, uniqueNames } from '../../test/helpers/nats.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], env: Record<string, string>, options: { killAfter?: (out: string) => boolean; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const check = () => {
      if (!signalled && options.killAfter?.(stdout + stderr)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      check();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not finish: ${stdout}${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the sluice command', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('exits 1 with one line naming the variable when the configuration is wrong', async () => {
    const run = await sluice(['gateway'], { STREAM_MAX_AGE: 'banana' });
    assert.equal(run.code, 1);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^sluice: configuration error: STREAM_MAX_AGE: "banana" is not a duration/);
  });

  it('exits 2 with the usage for an unknown command', async () => {
    const run = await sluice(['frobnicate'], {});
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command "frobnicate"/);
    assert.match(run.stderr, /usage: sluice/);
  });

  it('exits 1 after the configured attempts when NATS is unreachable', async () => {
    const port = await freePort();
    const started = Date.now();
    const run = await sluice(['gateway'], { NATS_URL: `nats://127.0.0.1:${port}`, NATS_CONNECT_ATTEMPTS: '2', NATS_CONNECT_DELAY: '100ms', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', LOG_LEVEL: 'silent' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /NATS is unreachable at nats:\/\/127\.0\.0\.1:\d+ after 2 attempts/);
    assert.ok(Date.now() - started < 15_000);
  });

  it('refuses a bad entity file at start with the file, line and reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'entities:\n  - name: Order\n    table: "orders; DROP TABLE x"\n    types: ["order.*"]\n    key: [id]\n    fields:\n      id: { type: string }\n');
    const run = await sluice(['migrate'], { SLUICE_ENTITIES: file, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:3: `));
  });

  it('migrates, twice at once, without error', async () => {
    const db: TestDatabase = await createTestDatabase();
    cleanups.push(() => db.drop());
    const [a, b] = await Promise.all([sluice(['migrate'], { DATABASE_URL: db.url }), sluice(['migrate'], { DATABASE_URL: db.url })]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const versions = await db.query<{ version: number }>('SELECT version FROM sluice.schema_migrations ORDER BY version');
    const shipped = readdirSync(join(import.meta.dirname, '..', '..', 'src', 'store', 'sql', 'migrations')).map((f) => Number(f.slice(0, 3))).sort((x, y) => x - y);
    assert.deepEqual(versions.map((v) => v.version), shipped, 'every shipped migration applied once');
  });

  it('runs dev against NATS and PostgreSQL, logs JSON lines, and stops gracefully on SIGTERM with exit 0', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const names = uniqueNames('cli');
    cleanups.push(() => deleteStreams(SHARED_NATS_URL, names.stream));
    const port = await freePort();
    const run = await sluice(
      ['dev'],
      { NATS_URL: SHARED_NATS_URL, NATS_STREAM: names.stream, NATS_SUBJECT_PREFIX: names.prefix, SLUICE_CONSUMER: names.consumer, DATABASE_URL: db.url, PORT: String(port), HOST: '127.0.0.1' },
      { killAfter: (out) => out.includes('worker started') },
    );
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: number });
    const messages = lines.map((l) => l.msg);
    for (const m of ['bus ready', 'gateway listening', 'database migrated', 'worker started', 'stopping', 'stopped']) assert.ok(messages.includes(m), m);
  });
});
