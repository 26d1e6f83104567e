import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BusPort, FoundMessage } from '../../src/bus/index.js';
import { newEventId } from '../../src/envelope/index.js';
import { SluiceError } from '../../src/errors/index.js';
import { Replayer } from '../../src/gateway/replayer.js';
import { silentLogger } from '../../src/log/index.js';
import type { StorePort } from '../../src/store/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A bus whose every lookup takes `ms` and finds nothing (ids never accepted), counting the lookups. */
function slowBus(ms: number): { bus: BusPort; lookups: () => number } {
  let lookups = 0;
  const bus = {
    async lookup(): Promise<FoundMessage | null> {
      lookups++;
      await sleep(ms);
      return null;
    },
  } as unknown as BusPort;
  return { bus, lookups: () => lookups };
}

/** A store whose archive has none of the ids. */
const emptyArchive = { countForReplay: async () => ({ matched: 0, knownIds: [] }) } as unknown as StorePort;

describe('a replay of ids the archive does not have', () => {
  it('answers 503 when the stream cannot tell in time, and looks no further after it', async () => {
    const { bus, lookups } = slowBus(250);
    const replayer = new Replayer(bus, emptyArchive, silentLogger(), 'workers');
    const ids = Array.from({ length: 10_000 }, () => newEventId());
    const started = performance.now();
    await assert.rejects(replayer.start({ ids }), (e: unknown) => e instanceof SluiceError && e.code === 'bus_unavailable' && e.message.includes('10000 ids'));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 6, `answered after ${seconds.toFixed(1)} s`);
    const atAnswer = lookups();
    assert.ok(atAnswer < 10_000, `${atAnswer} lookups before the answer`);
    await sleep(1000);
    // The 16 lookups in flight end; no lane takes another id.
    assert.ok(lookups() <= atAnswer, `${lookups() - atAnswer} lookups started after the answer`);
  });

  it('looks no further after a lookup fails before the deadline', async () => {
    let lookups = 0;
    const bus = {
      async lookup(): Promise<FoundMessage | null> {
        const n = ++lookups;
        await sleep(20);
        if (n === 1) throw new SluiceError('bus_unavailable', 'the stream could not tell in time; retry shortly', { retryAfterSeconds: 1 });
        return null;
      },
    } as unknown as BusPort;
    const replayer = new Replayer(bus, emptyArchive, silentLogger(), 'workers');
    const started = performance.now();
    await assert.rejects(replayer.start({ ids: Array.from({ length: 10_000 }, () => newEventId()) }), (e: unknown) => e instanceof SluiceError && e.code === 'bus_unavailable' && e.message.includes('retry shortly'));
    assert.ok(performance.now() - started < 1000, 'answered when the lookup failed, not at the deadline');
    const atAnswer = lookups;
    await sleep(300);
    assert.ok(lookups <= atAnswer, `${lookups - atAnswer} lookups started after the answer`);
  });

  it('reports ids never accepted as unknown and starts nothing (404 upstream)', async () => {
    const { bus, lookups } = slowBus(1);
    const replayer = new Replayer(bus, emptyArchive, silentLogger(), 'workers');
    assert.equal(await replayer.start({ ids: [newEventId(), newEventId()] }), null);
    assert.equal(lookups(), 2);
  });
});
