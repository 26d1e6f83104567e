import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { eventually, http } from '../helpers/pipeline.js';

const BEFORE = `
entities:
  - name: Order
    table: orders
    types: ["order.*"]
    key: [order_id]
    fields:
      order_id: { type: string, required: true }
  - name: Memo
    table: memos
    types: ["memo.*"]
    key: [memo_id]
    fields:
      memo_id: { type: string, required: true }
`;
// order.* re-mapped to another entity and table; Memo removed.
const AFTER = `
entities:
  - name: Order
    table: orders
    types: ["legacy.order.*"]
    key: [order_id]
    fields:
      order_id: { type: string, required: true }
  - name: Purchase
    table: purchases
    types: ["order.*"]
    key: [order_id]
    fields:
      order_id: { type: string, required: true }
`;

type Status = { status: string; entity_type: string | null; attempts: number; error: string | null };

/** Embedded bus and database: one data directory, the services started again with new entity definitions. */
describe('replays map events with the definitions in force when they are replayed', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-remap-'));
  let services: Services | undefined;
  const start = async (entities: string): Promise<string> => {
    const file = join(dir, `entities-${Date.now()}.yaml`);
    writeFileSync(file, entities);
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SLUICE_DATA_DIR: join(dir, 'data'), SLUICE_ENTITIES: file, LOG_LEVEL: 'silent' });
    services = await runServices(config, silentLogger(), { gateway: true, worker: true, migrate: true });
    return services.address!;
  };
  const status = async (url: string, id: string) => (await http<Status>(`${url}/ingest/status/${id}`)).body;
  const settled = (url: string, id: string, attempts: number) =>
    eventually(async () => {
      const s = await status(url, id);
      return (s.status === 'persisted' || s.status === 'failed') && s.attempts >= attempts ? s : undefined;
    }, 30_000, `${id} settled after ${attempts} deliveries`);

  before(() => undefined);
  after(async () => {
    await services?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a replay where the definitions of now map it; only a producer\'s own hint travels with it', async () => {
    let url = await start(BEFORE);
    const order = (await http<{ id: string }>(`${url}/events/order.created`, { body: { order_id: 'o-1' } })).body.id;
    const memo = (await http<{ id: string }>(`${url}/events/memo.created`, { body: { memo_id: 'm-1' } })).body.id;
    const hinted = (await http<{ message_id: string }>(`${url}/ingest/message?type=note.any&entity=Order`, { body: { order_id: 'o-2' } })).body.message_id;
    const first = await Promise.all([order, memo, hinted].map((id) => settled(url, id, 1)));
    assert.deepEqual(first.map((s) => [s.status, s.entity_type]), [['persisted', 'Order'], ['persisted', 'Memo'], ['persisted', 'Order']]);
    await services!.stop();
    services = undefined;

    url = await start(AFTER);
    const r = await http<{ replay_id: string; replayed: number }>(`${url}/replay`, { body: { ids: [order, memo, hinted] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const [replayedOrder, replayedMemo, replayedHinted] = await Promise.all([order, memo, hinted].map((id) => settled(url, id, 2)));
    assert.deepEqual([replayedOrder!.status, replayedOrder!.entity_type], ['persisted', 'Purchase'], `re-mapped: ${replayedOrder!.error}`);
    assert.deepEqual([replayedMemo!.status, replayedMemo!.entity_type], ['persisted', null], `its entity removed, archived only: ${replayedMemo!.error}`);
    assert.deepEqual([replayedHinted!.status, replayedHinted!.entity_type], ['persisted', 'Order'], 'the producer\'s hint still names Order');
  });
});
