import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { silentLogger } from '../../src/log/index.js';
import { deleteStreams, SHARED_NATS_URL } from '../../test/helpers/nats.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { waitSettled, writeEntityFile } from '../../test/helpers/flows.js';
import { GAUGE_ENTITIES } from './gauge-entities.js';


/** A stream deleted while the database keeps what was written from it, then created again from sequence 1. */
describe('a stream deleted and created again', { timeout: 120_000 }, () => {
  let p: TestPipeline;
  let again: Services | undefined;
  before(async () => {
    p = await startTestPipeline({ env: { SLUICE_ENTITIES: writeEntityFile(GAUGE_ENTITIES) } });
  });
  after(async () => {
    await again?.stop().catch(() => undefined);
    await p?.stop();
  });

  const send = async (url: string, reading: number): Promise<string> => {
    const r = await http<{ id: string }>(`${url}/events/gauge.read`, { body: { gauge_id: 'g-1', reading } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.id;
  };
  const row = async () => (await p.db.query<{ reading: number; _stream_seq: number }>("SELECT reading, _stream_seq FROM gauges WHERE gauge_id = 'g-1'"))[0];

  it('goes on from the stored sequences when a worker finds it still empty: new updates are applied', async () => {
    const ids = [await send(p.url, 1), await send(p.url, 2), await send(p.url, 3)];
    await waitSettled(p.db, ids);
    assert.deepEqual(await row(), { reading: 3, _stream_seq: 3 });

    await p.services.stop();
    await deleteStreams(SHARED_NATS_URL, p.names.stream);
    again = await runServices(p.config, silentLogger(), { gateway: true, worker: true, migrate: true });
    const id = await send(again.address!, 4);
    await waitSettled(p.db, [id]);
    const seq = await p.db.query<{ stream_seq: string }>('SELECT stream_seq FROM sluice.events WHERE id = $1', [id]);
    assert.equal(Number(seq[0]!.stream_seq), 4, 'the new stream goes on after sequence 3');
    assert.deepEqual(await row(), { reading: 4, _stream_seq: 4 }, 'the update is applied, not taken for an older one');
    const recorded = await p.db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.streams WHERE name = $1', [p.names.stream]);
    assert.equal(Number(recorded[0]!.n), 1);
    await again.stop();
    again = undefined;
  });

  it('refuses to start a worker, saying what to do, when the new stream already holds messages below the stored sequences', async () => {
    await deleteStreams(SHARED_NATS_URL, p.names.stream);
    const gateway = await runServices(p.config, silentLogger(), { gateway: true, worker: false, migrate: false });
    try {
      await send(gateway.address!, 5);
    } finally {
      await gateway.stop();
    }
    await assert.rejects(
      runServices(p.config, silentLogger(), { gateway: false, worker: true, migrate: false }),
      (error: Error) => /was created again/.test(error.message) && /sequence 4/.test(error.message) && /start a worker before any gateway/.test(error.message),
    );
    await eventually(async () => ((await row())?.reading === 4 ? true : undefined), 1000, 'the row untouched');
  });
});
