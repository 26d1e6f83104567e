import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { loadConfig } from '../../src/config/index.js';
import { newEventId } from '../../src/envelope/index.js';
import { silentLogger } from '../../src/log/index.js';
import { eventually, http } from '../helpers/pipeline.js';

type Started = { replay_id: string; replayed: number; unknown: string[] };

/**
 * A replay of an event that got its 202 but that no worker has archived yet: the event is known
 * (SPEC: `unknown` lists only ids never accepted), so it is re-delivered from the stream. A
 * gateway without a worker makes the moment between 202 and archive last.
 */
describe('replaying an accepted event before a worker archived it', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-early-'));
  let services: Services | undefined;
  let url = '';

  before(async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SLUICE_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent' });
    services = await runServices(config, silentLogger(), { gateway: true, worker: false, migrate: true });
    url = services.address!;
  });
  after(async () => {
    await services?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-delivers it from the stream and reports only ids never accepted as unknown', async () => {
    const sent = await http<{ id: string }>(`${url}/events/order.created`, { method: 'POST', body: { order_id: 'o-1' } });
    assert.equal(sent.status, 202);
    const id = sent.body.id;
    const never = newEventId();

    const started = await http<Started>(`${url}/replay`, { method: 'POST', body: { ids: [id, never] } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.replayed, 1);
    assert.deepEqual(started.body.unknown, [never]);
    const done = await eventually(async () => {
      const r = await http<{ status: string; matched: number; published: number }>(`${url}/replay/${started.body.replay_id}`);
      return r.body.status === 'running' ? undefined : r.body;
    }, 20_000, 'the replay to finish');
    assert.deepEqual(done, { replay_id: started.body.replay_id, status: 'done', matched: 1, published: 1 });

    assert.equal((await http(`${url}/replay/${never}`, { method: 'POST' })).status, 404, 'an id never accepted is still 404');
    assert.equal((await http(`${url}/replay/${id.toUpperCase()}`, { method: 'POST' })).status, 202, 'an id in upper case is the same event');
    const looked = await http<{ message_id: string; status: string }>(`${url}/events/${id.toUpperCase()}/status`);
    assert.equal(looked.status, 200, 'a lookup in upper case finds the event on the stream too');
    assert.deepEqual([looked.body.message_id, looked.body.status], [id, 'accepted']);
  });

  it('finds every accepted id of a large request, however many are not archived yet', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 150; n++) {
      const sent = await http<{ id: string }>(`${url}/events/order.created`, { method: 'POST', body: { order_id: `o-${n}` } });
      assert.equal(sent.status, 202);
      ids.push(sent.body.id);
    }
    const nevers = [newEventId(), newEventId()];
    const started = await http<Started>(`${url}/replay`, { method: 'POST', body: { ids: [...ids, ...nevers, ids[0]!.toUpperCase()] } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.replayed, 150);
    assert.deepEqual([...started.body.unknown].sort(), [...nevers].sort());
  });
});
