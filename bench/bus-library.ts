// The bus library (`sluice/bus`) against what an application would write without it, in one run:
//   node --import tsx bench/bus-library.ts [--events N] [--rounds R] [--read-data] [--js-events M] [--in-flight K] [--no-jetstream]
//
// 1. memory: `createBus({ kind: 'memory' })` publishes N events one after another (each
//    awaited) to one subscriber, until the subscriber has handled them all; beside it a bare
//    EventEmitter doing the same per-event work (a UUID, an ISO time, the data, one await per
//    publish, an async listener). Rounds alternate, so both see the same machine. With
//    --read-data both handlers read a field of the event's data (the memory bus parses its copy
//    of the data only when a handler reads it; the EventEmitter hands over the publisher's object).
// 2. jetstream: on a private nats-server, the JetStream kind publishes M events (K in flight)
//    and a subscriber handles them from sequence 1; beside it raw nats.js doing the same
//    (`js.publish` with a Nats-Msg-Id, K in flight; a pull consumer's `consume()` acking each).
// Rows go to stdout as `bench buslib <row> <figure>`; progress to stderr.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createBus } from '../src/bus-library/index.js';
import { startNatsServer } from '../test/helpers/nats.js';

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  process.stdout.write(`node --import tsx bench/bus-library.ts [options]
  --events N       memory: events a round, for the bus and for the EventEmitter (default 300000)
  --rounds R       rounds of each part, alternated (default 3)
  --read-data      memory: both handlers read a field of the event's data
  --no-jetstream   the memory part only (no nats-server)
  --js-events M    jetstream: events a round (default 50000)
  --in-flight K    jetstream: publishes in flight, and the subscriber's prefetch (default 256)
`);
  process.exit(0);
}
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const EVENTS = Number(flag('--events') ?? 300_000);
const ROUNDS = Number(flag('--rounds') ?? 3);
const JS_EVENTS = Number(flag('--js-events') ?? 50_000);
const IN_FLIGHT = Number(flag('--in-flight') ?? 256);
const JETSTREAM = !argv.includes('--no-jetstream');
const READ_DATA = argv.includes('--read-data');
const DATA = { orderId: 'o-1', customer: 'c-42', total: 99.5 };
const log = (text: string): void => void process.stderr.write(`bench buslib: ${text}\n`);
const row = (name: string, figure: string): void => void process.stdout.write(`bench buslib ${name} ${figure}\n`);
const perSecond = (count: number, ms: number): number => Math.round((count * 1000) / ms);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Resolves once `count` reaches `target` (checked by the handler that counts). */
function counter(target: number): { seen(): void; done: Promise<void> } {
  let n = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    seen() {
      if (++n === target) resolve();
    },
    done,
  };
}

/** A round's rates: events per second of wall-clock time, and per second of this process's CPU time (steadier on a shared machine). */
interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/** Times `run`, which handles `n` events, by the clock and by this process's CPU time. */
async function timed(n: number, run: () => Promise<void>): Promise<Rate> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wall: perSecond(n, wallMs), cpu: perSecond(n, (used.user + used.system) / 1000) };
}

/** Publishes and handles N events through the memory bus. */
async function memoryBusRound(n: number): Promise<Rate> {
  const bus = createBus<{ 'order.created': typeof DATA }>({ kind: 'memory' });
  const handled = counter(n);
  await bus.subscribe(
    'order.created',
    READ_DATA
      ? async (event) => {
          if (event.data.total > 0) handled.seen();
        }
      : async () => handled.seen(),
  );
  const rate = await timed(n, async () => {
    for (let i = 0; i < n; i++) await bus.publish('order.created', DATA);
    await handled.done;
  });
  await bus.close();
  return rate;
}

/** The same with a bare EventEmitter: an id, a time and one await per event. */
async function eventEmitterRound(n: number): Promise<Rate> {
  const emitter = new EventEmitter();
  const handled = counter(n);
  emitter.on(
    'order.created',
    READ_DATA
      ? async (event: { data: typeof DATA }) => {
          if (event.data.total > 0) handled.seen();
        }
      : async () => handled.seen(),
  );
  const publish = async (type: string, data: unknown): Promise<string> => {
    const event = { id: randomUUID(), type, time: new Date().toISOString(), data };
    emitter.emit(type, event);
    return event.id;
  };
  return timed(n, async () => {
    for (let i = 0; i < n; i++) await publish('order.created', DATA);
    await handled.done;
  });
}

/** Runs `publish(i)` for i < n with at most `inFlight` at once; ms taken. */
async function inWindows(n: number, inFlight: number, publish: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) await publish(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, lane));
  return performance.now() - started;
}

async function jetStreamRows(): Promise<void> {
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const body = new TextEncoder().encode(JSON.stringify(DATA));
    for (let round = 1; round <= ROUNDS; round++) {
      // The library: publish M, then a subscriber from sequence 1 handles them.
      const libStream = `BUSLIB_${round}`;
      const bus = createBus<{ 'order.created': typeof DATA }>({ kind: 'jetstream', url: server.url, stream: libStream, subjectPrefix: `buslib${round}` });
      await bus.ready();
      const libPublishMs = await inWindows(JS_EVENTS, IN_FLIGHT, () => bus.publish('order.created', DATA));
      const libHandled = counter(JS_EVENTS);
      const libStarted = performance.now();
      const subscription = await bus.subscribe('order.created', async () => libHandled.seen(), { from: 1, prefetch: IN_FLIGHT });
      await libHandled.done;
      const libHandleMs = performance.now() - libStarted;
      await subscription.stop();
      await bus.close();

      // Raw nats.js: the same stream shape, the same messages with a message id, a pull consumer acking each.
      const rawStream = `BUSRAW_${round}`;
      const subject = `busraw${round}.order.created`;
      await jsm.streams.add({ name: rawStream, subjects: [`busraw${round}.>`] });
      const rawPublishMs = await inWindows(JS_EVENTS, IN_FLIGHT, () => js.publish(subject, body, { msgID: randomUUID() }));
      await jsm.consumers.add(rawStream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: subject });
      const rawHandled = counter(JS_EVENTS);
      const rawStarted = performance.now();
      const messages = await (await js.consumers.get(rawStream, 'raw')).consume({ max_messages: IN_FLIGHT });
      void (async () => {
        for await (const m of messages) {
          JSON.parse(m.string());
          m.ack();
          rawHandled.seen();
        }
      })();
      await rawHandled.done;
      const rawHandleMs = performance.now() - rawStarted;
      await messages.close();

      const libPub = perSecond(JS_EVENTS, libPublishMs);
      const rawPub = perSecond(JS_EVENTS, rawPublishMs);
      const libSub = perSecond(JS_EVENTS, libHandleMs);
      const rawSub = perSecond(JS_EVENTS, rawHandleMs);
      log(`round ${round}: publish ${libPub}/s vs raw ${rawPub}/s; handle ${libSub}/s vs raw ${rawSub}/s`);
      row(`jetstream-publish-r${round}`, `${libPub}/s raw-nats.js ${rawPub}/s ratio ${(libPub / rawPub).toFixed(2)}`);
      row(`jetstream-handle-r${round}`, `${libSub}/s raw-nats.js ${rawSub}/s ratio ${(libSub / rawSub).toFixed(2)}`);
      await jsm.streams.delete(libStream);
      await jsm.streams.delete(rawStream);
    }
  } finally {
    await nc.close();
    await server.destroy();
  }
}

async function main(): Promise<void> {
  log(`memory: ${EVENTS} events per round, ${ROUNDS} rounds, alternated with a bare EventEmitter${READ_DATA ? '; handlers read the data' : ''}`);
  // A short warm-up of both, so the first round is not the JIT's.
  await memoryBusRound(Math.min(EVENTS, 20_000));
  await eventEmitterRound(Math.min(EVENTS, 20_000));
  const bus: Rate[] = [];
  const emitter: Rate[] = [];
  const show = (b: Rate, e: Rate): string =>
    `${b.wall}/s eventemitter ${e.wall}/s ratio ${(b.wall / e.wall).toFixed(2)}; per cpu-second ${b.cpu} eventemitter ${e.cpu} ratio ${(b.cpu / e.cpu).toFixed(2)}`;
  for (let round = 1; round <= ROUNDS; round++) {
    const first = round % 2 === 1;
    if (first) bus.push(await memoryBusRound(EVENTS));
    emitter.push(await eventEmitterRound(EVENTS));
    if (!first) bus.push(await memoryBusRound(EVENTS));
    log(`round ${round}: memory bus ${bus.at(-1)!.wall}/s, EventEmitter ${emitter.at(-1)!.wall}/s`);
    row(`memory-r${round}`, show(bus.at(-1)!, emitter.at(-1)!));
  }
  const mid = (rates: Rate[]): Rate => ({ wall: median(rates.map((r) => r.wall)), cpu: median(rates.map((r) => r.cpu)) });
  row('memory-median', show(mid(bus), mid(emitter)));
  if (JETSTREAM) {
    log(`jetstream: ${JS_EVENTS} events per round, ${IN_FLIGHT} in flight, on a private nats-server`);
    await jetStreamRows();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench buslib: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
