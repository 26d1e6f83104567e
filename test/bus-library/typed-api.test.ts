// The compiler is the test here: `npm run typecheck` compiles this file, and each
// `@ts-expect-error` line fails the typecheck if the mistake under it were to compile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBus, type Bus, type BusEvent } from '../../src/bus-library/index.js';

interface JobEvents {
  'job.created': { jobId: string; kind: 'email' | 'report' };
  'job.started': { jobId: string; worker: string };
  'job.completed': { jobId: string; ms: number };
  'job.failed': { jobId: string; error: string };
  'billing.invoice.paid': { invoiceId: string; cents: number };
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof: T): void {}

/** Never called: it only has to compile (or, on the marked lines, not to). */
async function compileChecks(bus: Bus<JobEvents>): Promise<void> {
  await bus.publish('job.created', { jobId: 'j1', kind: 'email' });
  await bus.publish('job.failed', { jobId: 'j1', error: 'timeout' }, { idempotencyKey: 'j1/failed' });
  // @ts-expect-error: the data of job.created has no `error`
  await bus.publish('job.created', { jobId: 'j1', error: 'x' });
  // @ts-expect-error: `kind` must be 'email' or 'report'
  await bus.publish('job.created', { jobId: 'j1', kind: 'fax' });
  // @ts-expect-error: job.deleted is not a declared event type
  await bus.publish('job.deleted', { jobId: 'j1' });
  // @ts-expect-error: `ms` is a number
  await bus.publish('job.completed', { jobId: 'j1', ms: '12' });

  await bus.publishBatch([
    { type: 'job.created', data: { jobId: 'j1', kind: 'report' } },
    { type: 'job.completed', data: { jobId: 'j1', ms: 3 }, idempotencyKey: 'k' },
  ]);
  await bus.publishBatch([
    // @ts-expect-error: a batch entry's data must fit its own type
    { type: 'job.started', data: { jobId: 'j1', ms: 3 } },
  ]);

  await bus.subscribe('job.created', (_event) => {
    expectType<Equal<typeof _event.data, JobEvents['job.created']>>(true);
    expectType<Equal<typeof _event.type, 'job.created'>>(true);
  });
  await bus.subscribe('job.*', (event) => {
    // A wildcard gives the union of exactly the types it matches...
    expectType<Equal<typeof event.type, 'job.created' | 'job.started' | 'job.completed' | 'job.failed'>>(true);
    // ...and checking `type` narrows `data`.
    if (event.type === 'job.failed') {
      expectType<Equal<typeof event.data, { jobId: string; error: string }>>(true);
    }
    // @ts-expect-error: not every job event has `error`
    void event.data.error;
  });
  await bus.subscribe('*.*', (_event) => {
    // `*` is one token: billing.invoice.paid has three.
    expectType<Equal<typeof _event.type, 'job.created' | 'job.started' | 'job.completed' | 'job.failed'>>(true);
  });
  await bus.subscribe('billing.>', (_event) => {
    expectType<Equal<typeof _event.data, { invoiceId: string; cents: number }>>(true);
  });
  await bus.subscribe('>', (_event) => {
    expectType<Equal<typeof _event.type, keyof JobEvents>>(true);
  });
  await bus.subscribe('*.completed', { group: 'g' });
  // @ts-expect-error: no declared type matches the pattern (a typo)
  await bus.subscribe('jbo.*', () => undefined);
  // @ts-expect-error: `job` alone is not a declared type (and `job.*` would be the pattern)
  await bus.subscribe('job', () => undefined);
  // @ts-expect-error: the handler of job.started cannot expect job.failed's data
  await bus.subscribe('job.started', (event: BusEvent<'job.failed', JobEvents['job.failed']>) => void event);

  const subscription = await bus.subscribe('job.>');
  for await (const event of subscription) {
    expectType<Equal<typeof event.type, 'job.created' | 'job.started' | 'job.completed' | 'job.failed'>>(true);
    event.ack();
    break;
  }

  // A bus without an event map takes any type and gives `unknown` data.
  const loose = createBus({ kind: 'memory' });
  await loose.publish('anything.at.all', [1, 2, 3]);
  await loose.subscribe('anything.>', (_event) => {
    expectType<Equal<typeof _event.data, unknown>>(true);
  });
}

test('typed publish and subscribe deliver the declared data', async () => {
  void compileChecks;
  const bus = createBus<JobEvents>({ kind: 'memory' });
  const seen: Array<{ type: string; jobId: string }> = [];
  const done = new Promise<void>((resolve) => {
    void bus.subscribe('job.*', (event) => {
      seen.push({ type: event.type, jobId: event.data.jobId });
      if (seen.length === 2) resolve();
    });
  });
  await new Promise((resolve) => setImmediate(resolve));
  await bus.publish('job.created', { jobId: 'j1', kind: 'email' });
  await bus.publish('job.failed', { jobId: 'j1', error: 'boom' });
  await done;
  assert.deepEqual(seen, [
    { type: 'job.created', jobId: 'j1' },
    { type: 'job.failed', jobId: 'j1' },
  ]);
  await bus.close();
});
