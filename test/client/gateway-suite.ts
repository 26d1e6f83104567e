import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SluiceApiError, SluiceClient } from '../../src/client/index.js';
import { run as events } from '../../src/cli/commands/events.js';
import { run as replay } from '../../src/cli/commands/replay.js';
import { run as send } from '../../src/cli/commands/send.js';
import { run as status } from '../../src/cli/commands/status.js';
import { run as tail } from '../../src/cli/commands/tail.js';
import { type RunningPipeline, type StartPipeline, eventually } from '../helpers/pipeline.js';
import { captureIo } from './test-io.js';

/** The client and its commands against a real gateway and worker, on the adapters `start` picks. */
export function clientAgainstGateway(adapters: string, start: StartPipeline): void {
  describe(`client and client commands against a real gateway and worker (${adapters})`, () => {
    let pipeline: RunningPipeline;
    let client: SluiceClient;
    let env: Record<string, string>;
    before(async () => {
      pipeline = await start({ env: { SLUICE_API_KEYS: 'k-test' } });
      client = new SluiceClient({ url: pipeline.url, apiKey: 'k-test' });
      env = { SLUICE_URL: pipeline.url, SLUICE_API_KEY: 'k-test' };
    });
    after(async () => {
      await pipeline?.stop();
    });

    const persisted = (id: string): Promise<unknown> =>
      eventually(async () => ((await client.status(id)).status === 'persisted' ? true : undefined), 15_000, `${id} persisted`);

    it('sends an event, follows it to persisted, and reads it back', async () => {
      const accepted = await client.send('order.created', { order_id: 'o-1', total: 12.5 }, { source: '/shop', subject: 'o-1' });
      assert.equal(accepted.status, 'accepted');
      assert.equal(accepted.type, 'order.created');
      assert.ok(accepted.seq >= 1);
      const early = await client.status(accepted.id);
      assert.ok(['accepted', 'processing', 'persisted'].includes(early.status));
      await persisted(accepted.id);
      const event = await client.get(accepted.id);
      assert.equal(event.id, accepted.id);
      assert.equal(event.source, '/shop');
      assert.equal(event.subject, 'o-1');
      assert.deepEqual(event.data, { order_id: 'o-1', total: 12.5 });
    });

    it("reads an event's data back byte for byte, with its content type, whatever it is", async () => {
      const bytes = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x80]);
      const sent = await fetch(`${pipeline.url}/events/file.uploaded`, { method: 'POST', body: bytes, headers: { authorization: 'Bearer k-test', 'content-type': 'image/png' } });
      assert.equal(sent.status, 202);
      const { id } = (await sent.json()) as { id: string };
      const early = await client.data(id);
      assert.deepEqual([...early.bytes], [...bytes]);
      assert.equal(early.contentType, 'image/png');
      await persisted(id);
      const stored = await client.data(id);
      assert.deepEqual([...stored.bytes], [...bytes], 'from the archive');
      assert.equal(stored.contentType, 'image/png');
      const json = await client.send('order.noted', { b: 1, a: 2 });
      assert.equal(new TextDecoder().decode((await client.data(json.id)).bytes), '{"b":1,"a":2}');
      await assert.rejects(client.data('00000000-0000-4000-8000-000000000000'), (e: unknown) => e instanceof SluiceApiError && e.status === 404 && e.code === 'not_found');
    });

    it('stores a repeated idempotency key once, with the same id', async () => {
      const first = await client.send('order.paid', { n: 1 }, { idempotencyKey: 'pay-o-1' });
      const again = await client.send('order.paid', { n: 2 }, { idempotencyKey: 'pay-o-1' });
      assert.equal(again.id, first.id);
    });

    it('maps refusals to SluiceApiError with the gateway code', async () => {
      await assert.rejects(client.send('not a type!', {}), (e: unknown) => e instanceof SluiceApiError && e.status === 400 && e.code === 'invalid_event_type');
      await assert.rejects(client.status('00000000-0000-4000-8000-000000000000'), (e: unknown) => e instanceof SluiceApiError && e.status === 404);
      await assert.rejects(client.list({ limit: 5000 }), (e: unknown) => e instanceof SluiceApiError && e.code === 'invalid_parameter');
      const anonymous = new SluiceClient({ url: pipeline.url });
      await assert.rejects(anonymous.list(), (e: unknown) => e instanceof SluiceApiError && e.status === 401 && e.code === 'unauthorized');
    });

    it('sends a batch line by line and pages through it without skipping or repeating', async () => {
      const lines = Array.from({ length: 9 }, (_, i) => ({ i }));
      const result = await client.sendNdjson(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n{broken\n`, { type: 'page.item' });
      assert.equal(result.accepted, 9);
      assert.equal(result.rejected, 1);
      assert.equal(result.results[9]?.line, 10);
      const ids = result.results.flatMap((r) => ('message_id' in r ? [r.message_id] : []));
      for (const id of ids) await persisted(id);
      const seen: unknown[] = [];
      for await (const event of client.listAll({ type: 'page.*', limit: 4 })) seen.push(event.data);
      assert.deepEqual(seen, lines);
    });

    it('sends, shows and lists through the commands', async () => {
      const one = captureIo(env);
      assert.equal(await send(['cli.one', '{"hello":"world"}'], one), 0, one.err());
      const id = one.out().trim();
      const many = captureIo(env, '{"n":1}\n{"n":2}\n{"n":3}\n');
      assert.equal(await send(['cli.many', '-'], many), 0, many.err());
      const manyIds = many.out().trim().split('\n');
      assert.equal(manyIds.length, 3);
      for (const each of [id, ...manyIds]) await persisted(each);

      const shown = captureIo(env);
      assert.equal(await status([id, '--json'], shown), 0, shown.err());
      assert.equal(JSON.parse(shown.out()).status, 'persisted');

      const listed = captureIo(env);
      assert.equal(await events(['--type', 'cli.many', '--all', '--json', '--limit', '2'], listed), 0, listed.err());
      assert.deepEqual(listed.out().trim().split('\n').map((line) => JSON.parse(line).id), manyIds);

      const refused = captureIo(env);
      assert.equal(await status(['not-an-id'], refused), 1);
      assert.match(refused.err(), /^[a-z_]+: /);
    });

    it('tails a new event once the existing ones are skipped', async () => {
      const old = await client.send('tail.seen', { old: true });
      await persisted(old.id);
      const stop = new AbortController();
      const io = captureIo(env, '', stop.signal);
      const running = tail(['--type', 'tail.*', '--interval', '100', '--json'], io);
      try {
        await eventually(async () => (io.err().includes('following new events') ? true : undefined), 10_000, 'tail to start');
        const fresh = await client.send('tail.seen', { fresh: true });
        await eventually(async () => (io.out().includes(fresh.id) ? true : undefined), 15_000, 'tail to print the new event');
        assert.deepEqual(io.out().trim().split('\n').map((line) => JSON.parse(line).id), [fresh.id]);
      } finally {
        stop.abort();
      }
      assert.equal(await running, 0);
    });

    it('replays an event and waits for the replay to finish', async () => {
      const accepted = await client.send('replay.me', { r: 1 });
      await persisted(accepted.id);
      const io = captureIo(env);
      assert.equal(await replay([accepted.id, '--wait', '--interval', '100', '--json'], io), 0, io.err());
      const result = JSON.parse(io.out());
      assert.equal(result.replayed, 1);
      assert.equal(result.status, 'done');
      await eventually(async () => ((await client.status(accepted.id)).attempts >= 2 ? true : undefined), 15_000, 'the replay to be applied');
      const after = await client.status(accepted.id);
      assert.equal(after.status, 'persisted');
    });
  });
}
