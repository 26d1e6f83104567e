import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run as events } from '../../src/cli/commands/events.js';
import { run as replay } from '../../src/cli/commands/replay.js';
import { run as send } from '../../src/cli/commands/send.js';
import { run as status } from '../../src/cli/commands/status.js';
import { run as tail } from '../../src/cli/commands/tail.js';
import { type FakeGateway, send as answer, startFakeGateway } from './fake-gateway.js';
import { captureIo } from './test-io.js';

const UUID = /^[0-9a-f-]{36}$/;

describe('client commands: usage', () => {
  for (const [name, command] of Object.entries({ send, status, events, replay, tail })) {
    it(`${name} --help prints its usage and exits 0`, async () => {
      const io = captureIo();
      assert.equal(await command(['--help'], io), 0);
      assert.match(io.out(), new RegExp(`^Usage: sluice ${name}`));
    });

    it(`${name} refuses an unknown option with exit 2 and one line`, async () => {
      const io = captureIo();
      assert.equal(await command(['--bogus'], io), 2);
      assert.equal(io.err().trim().split('\n').length, 1);
      assert.match(io.err(), new RegExp(`^sluice ${name}: .*--bogus`));
    });
  }

  it('refuses bad values before calling the gateway', async () => {
    const cases: [typeof send, string[], RegExp][] = [
      [send, [], /give an event type/],
      [send, ['t', '{"a":'], /not valid JSON/],
      [send, ['t', '@/no/such/file.json'], /cannot read \/no\/such\/file\.json: no such file/],
      [status, [], /exactly one event id/],
      [events, ['--limit', '5000'], /--limit must be a whole number from 1 to 1000/],
      [events, ['--since', 'yesterday'], /--since takes a time/],
      [replay, [], /give event ids/],
      [tail, ['--interval', 'fast'], /--interval/],
    ];
    for (const [command, args, message] of cases) {
      const io = captureIo({ SLUICE_URL: 'http://127.0.0.1:9' });
      assert.equal(await command(args, io), 2, args.join(' '));
      assert.match(io.err(), message);
    }
  });

  it('reports an unreachable gateway as connection_failed with exit 1', async () => {
    const io = captureIo({ SLUICE_URL: 'http://127.0.0.1:9' });
    assert.equal(await status(['some-id'], io), 1);
    assert.match(io.err(), /^connection_failed: could not reach http:\/\/127\.0\.0\.1:9\/ingest\/status\/some-id/);
  });
});

describe('client commands against a gateway', () => {
  let gateway: FakeGateway;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    gateway = await startFakeGateway({ apiKey: 'secret' });
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    env = { SLUICE_URL: gateway.url, SLUICE_API_KEY: 'secret' };
  });
  after(async () => {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends inline JSON and prints the id', async () => {
    const io = captureIo(env);
    assert.equal(await send(['order.created', '{"order_id":"o-1"}'], io), 0);
    const id = io.out().trim();
    assert.match(id, UUID);
    assert.deepEqual(gateway.events.find((e) => e.id === id)?.data, { order_id: 'o-1' });
  });

  it('takes the URL and key from options over the environment', async () => {
    const io = captureIo({ SLUICE_URL: 'http://127.0.0.1:9', SLUICE_API_KEY: 'wrong' });
    assert.equal(await send(['t', '1', '--url', gateway.url, '--api-key', 'secret', '--json'], io), 0);
    assert.equal(JSON.parse(io.out()).status, 'accepted');
  });

  it('reports an API error as code: message with exit 1', async () => {
    const io = captureIo({ ...env, SLUICE_API_KEY: 'wrong' });
    assert.equal(await send(['t', '1'], io), 1);
    assert.equal(io.err(), 'unauthorized: a valid API key is required\n');
  });

  it('sends a pretty-printed file as one event', async () => {
    const file = join(dir, 'one.json');
    await writeFile(file, '{\n  "n": 1\n}\n');
    const io = captureIo(env);
    assert.equal(await send(['doc.t', `@${file}`], io), 0);
    assert.equal(io.out().trim().split('\n').length, 1);
  });

  it('sends NDJSON from stdin in chunks of 1000 lines, with progress and ids in line order', async () => {
    const lines = Array.from({ length: 2300 }, (_, i) => JSON.stringify({ i }));
    const before = gateway.requests.length;
    const io = captureIo(env, `${lines.join('\n')}\n`);
    assert.equal(await send(['bulk.t', '-'], io), 0);
    const batches = gateway.requests.slice(before).filter((r) => r.url.startsWith('/ingest/batch'));
    assert.deepEqual(batches.map((r) => r.url), Array(3).fill('/ingest/batch?type=bulk.t'));
    assert.deepEqual(batches.map((r) => r.body.split('\n').length - 1), [1000, 1000, 300]);
    const ids = io.out().trim().split('\n');
    assert.equal(ids.length, 2300);
    const byId = new Map(gateway.events.map((e) => [e.id, e.data]));
    assert.deepEqual(byId.get(ids[1500] as string), { i: 1500 });
    assert.match(io.err(), /1000\/2300 lines sent\n.*2000\/2300 lines sent\n.*2300\/2300 lines sent\n/s);
    assert.match(io.err(), /2300 accepted, 0 rejected/);
  });

  it('reports rejected NDJSON lines by their line in the whole input and exits 1', async () => {
    const io = captureIo(env, '{"ok":1}\nnot json\n\n{"ok":2}\n');
    assert.equal(await send(['mixed.t', '--json'], io), 1);
    const result = JSON.parse(io.out());
    assert.equal(result.accepted, 2);
    assert.equal(result.rejected, 1);
    assert.deepEqual(result.results.map((r: { line: number }) => r.line), [1, 2, 4]);
    assert.equal(result.results[1].error.code, 'invalid_json');
  });

  it('shows an event status, human and JSON', async () => {
    const event = gateway.add('s.t', { a: 1 });
    const human = captureIo(env);
    assert.equal(await status([event.id], human), 0);
    assert.match(human.out(), new RegExp(`^id: +${event.id}$`, 'm'));
    assert.match(human.out(), /^status: +persisted$/m);
    const json = captureIo(env);
    assert.equal(await status([event.id, '--json'], json), 0);
    assert.equal(JSON.parse(json.out()).message_id, event.id);
    const missing = captureIo(env);
    assert.equal(await status(['nope'], missing), 1);
    assert.match(missing.err(), /^not_found: /);
  });

  it('lists one page, and every page with --all as NDJSON', async () => {
    for (let i = 0; i < 5; i++) gateway.add('list.t', { i });
    const page = captureIo(env);
    assert.equal(await events(['--type', 'list.t', '--limit', '2'], page), 0);
    assert.equal(page.out().trim().split('\n').length, 2);
    assert.match(page.out(), /list\.t {2}[0-9a-f-]{36} {2}\{"i":0\}/);
    assert.match(page.err(), /^more: sluice events --cursor \S+/);
    const all = captureIo(env);
    assert.equal(await events(['--type', 'list.t', '--limit', '2', '--all', '--json'], all), 0);
    assert.deepEqual(all.out().trim().split('\n').map((line) => JSON.parse(line).data), [0, 1, 2, 3, 4].map((i) => ({ i })));
    const json = captureIo(env);
    assert.equal(await events(['--type', 'list.t', '--json'], json), 0);
    const doc = JSON.parse(json.out());
    assert.equal(doc.events.length, 5);
    assert.equal(typeof doc.next_cursor, 'string');
  });

  it('replays ids and waits until the replay is done', async () => {
    const a = gateway.add('r.t', 1);
    const io = captureIo(env);
    assert.equal(await replay([a.id, 'never', '--wait', '--interval', '20', '--json'], io), 0);
    const result = JSON.parse(io.out());
    assert.equal(result.status, 'done');
    assert.equal(result.published, 1);
    assert.match(io.err(), /unknown ids \(never accepted\): never/);
    const human = captureIo(env);
    assert.equal(await replay([a.id], human), 0);
    assert.match(human.out(), /^replay [0-9a-f-]{36}: 1 event to re-deliver\n$/);
  });

  it('tails only what arrives after it starts, and stops cleanly when interrupted', async () => {
    const old = gateway.add('tail.t', { old: true });
    const stop = new AbortController();
    const io = captureIo(env, '', stop.signal);
    const running = tail(['--type', 'tail.t', '--interval', '20', '--json'], io);
    await waitFor(() => io.err().includes('following new events'));
    const fresh = gateway.add('tail.t', { fresh: true });
    gateway.add('other.t', { other: true });
    await waitFor(() => io.out().includes(fresh.id));
    stop.abort();
    assert.equal(await running, 0);
    const printed = io.out().trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(printed.map((e) => e.id), [fresh.id]);
    assert.ok(!io.out().includes(old.id));
  });

  it('stops tailing with exit 0 on SIGINT and removes its handler', async () => {
    const handlers = process.listenerCount('SIGINT');
    const io = captureIo(env);
    const running = tail(['--interval', '20'], io);
    await waitFor(() => io.err().includes('following new events'));
    assert.equal(process.listenerCount('SIGINT'), handlers + 1);
    process.emit('SIGINT');
    assert.equal(await running, 0);
    assert.equal(process.listenerCount('SIGINT'), handlers);
  });

  it('keeps tailing through a gateway that is briefly away', async () => {
    const stop = new AbortController();
    const io = captureIo(env, '', stop.signal);
    const running = tail(['--type', 'flaky.t', '--interval', '20'], io);
    await waitFor(() => io.err().includes('following new events'));
    gateway.override = (_req, res) => {
      answer(res, 503, { error: { code: 'store_unavailable', message: 'the database is away' } }, { 'retry-after': '1' });
      return true;
    };
    await waitFor(() => io.err().includes('store_unavailable: the database is away (retrying)'));
    gateway.override = undefined;
    const fresh = gateway.add('flaky.t', { n: 1 });
    await waitFor(() => io.out().includes(fresh.id));
    stop.abort();
    assert.equal(await running, 0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
