/**
 * Events persisted per second, end to end at full speed: what a user buys. Sluice (`sluice
 * gateway` + `sluice worker`, separate processes) next to the gateway a sceptical engineer
 * would build instead (bench/servers/direct.ts: a group commit straight into PostgreSQL, 202
 * after the commit), each on a fresh database of its own, loaded in alternated rounds.
 *
 * A round: the tables emptied, the load for `--persist-seconds` at full speed, then the wait
 * until every accepted event is persisted. Its rate is the accepted events over the time from
 * the load's start to the last of them persisted: the worker's backlog at the end of the load
 * counts. Sluice's worker acks a message after its transaction commits, so "persisted" is its
 * consumer with nothing pending and nothing unacked; the direct gateway's 202s come after
 * their commit, so its events are persisted when the load ends. Each round's row count is
 * checked against the accepted count. Single events come from 64 connections, NDJSON batches
 * of 1000 from 4. No entity file: the direct gateway writes the archive row only.
 */
import type { ChildProcess } from 'node:child_process';
import type { BenchContext } from '../harness/context.js';
import { freshDatabase } from '../harness/context.js';
import { load, type LoadOptions } from '../harness/http-load.js';
import { cpuPerEventNote, natsServerPids, pathCpuMeter } from '../harness/path-cpu.js';
import { log, stopProcess, waitFor } from '../harness/processes.js';
import { median, ratioVerdict, type Row } from '../harness/report.js';
import { BATCH_CONNECTIONS, BATCH_LINES, BODY, consumerState, names, sluiceEnv, startBaseline, startGateway, startWorker } from '../harness/servers.js';
import type { TestDatabase } from '../../test/helpers/db.js';
import { cpuMeter, peakRssMb } from '../proc.js';
import { batchFile } from './batch.js';

/** Connections of the single-event rounds (issue 22's comparison). */
const SINGLE_CONNECTIONS = 64;
/** Sluice's target: at least this share of the direct gateway's rate, median round. */
const TARGET = 0.8;

type Mode = 'single' | 'batch';

interface Round {
  readonly rate: number;
  readonly accepted: number;
  /** The load's own accept rate (202s a second while it ran). */
  readonly httpRate: number;
  /** From the load's end to the last event persisted. */
  readonly tailSeconds: number;
  readonly cpu: Record<string, number>;
  /** CPU time per persisted event (µs) of each process of the side, nats-server and the database's backends included. */
  readonly cpuPerEventUs: Record<string, number>;
}

interface Side {
  readonly workload: string;
  readonly db: TestDatabase;
  readonly url: string;
  readonly processes: Record<string, ChildProcess>;
  readonly startupMs: number;
  /** Is every event accepted so far persisted? */
  persisted(): Promise<boolean>;
  /** Answers 202 only after the commit: its events are persisted by the time the load has its last answer. */
  readonly persistedWhenAnswered: boolean;
  /** Empties the tables (and the stream) between rounds, with nothing in flight. */
  reset(): Promise<void>;
  /** Stops the processes, drops the database and the stream. */
  close(): Promise<void>;
  /** Other processes whose CPU the side's events cost (nats-server), by name. */
  readonly helpers: Record<string, number[]>;
  readonly rounds: Round[];
}

function loadOptions(mode: Mode, url: string, seconds: number, file: string): LoadOptions {
  return mode === 'single'
    ? { url: `${url}/events/order.created`, body: BODY, contentType: 'application/json', connections: SINGLE_CONNECTIONS, durationSeconds: seconds, warmupSeconds: 0 }
    : { url: `${url}/ingest/batch?type=order.created`, bodyFile: file, contentType: 'application/x-ndjson', connections: BATCH_CONNECTIONS, durationSeconds: seconds, warmupSeconds: 0 };
}

async function startSluice(ctx: BenchContext, mode: Mode): Promise<Side> {
  const db = await freshDatabase(ctx);
  const n = names(`persist_${mode}`);
  const more: Record<string, string> = mode === 'batch' ? { SLUICE_MAX_INFLIGHT: String(BATCH_LINES * BATCH_CONNECTIONS * 2) } : {};
  const gateway = await startGateway('gateway', sluiceEnv(ctx.nats, db, n, more, false), { profileAs: `persist-${mode}-gateway` });
  const worker = startWorker(sluiceEnv(ctx.nats, db, n, {}, false), `persist-${mode}-worker`);
  const persisted = async (): Promise<boolean> => (await consumerState(ctx.jsm, n.stream, n.consumer)).done;
  await waitFor(persisted, 'the worker to start');
  return {
    workload: mode === 'single' ? 'sluice gateway + worker, single events, until persisted' : `sluice gateway + worker, NDJSON batches of ${BATCH_LINES}, until persisted`,
    db,
    url: gateway.url,
    processes: { gateway: gateway.child, worker },
    startupMs: gateway.startupMs,
    persisted,
    persistedWhenAnswered: false,
    helpers: { 'nats-server': natsServerPids(ctx.nats) },
    async reset() {
      await db.query('TRUNCATE sluice.events, sluice.message_status');
      await ctx.jsm.streams.purge(n.stream);
    },
    async close() {
      await stopProcess(worker);
      await stopProcess(gateway.child);
      await ctx.jsm.streams.delete(n.stream).catch(() => undefined);
      await db.drop().catch(() => undefined);
    },
    rounds: [],
  };
}

async function startDirect(ctx: BenchContext, mode: Mode): Promise<Side> {
  const db = await freshDatabase(ctx);
  const direct = await startBaseline('bench/servers/direct.ts', [db.url], `persist-${mode}-direct`);
  return {
    workload: mode === 'single' ? 'direct gateway → PostgreSQL (group commit), single events' : `direct gateway → PostgreSQL (group commit), NDJSON batches of ${BATCH_LINES}`,
    db,
    url: direct.url,
    processes: { direct: direct.child },
    startupMs: direct.startupMs,
    persisted: async () => true,
    persistedWhenAnswered: true,
    helpers: {},
    async reset() {
      await db.query('TRUNCATE sluice.events');
    },
    async close() {
      await stopProcess(direct.child);
      await db.drop().catch(() => undefined);
    },
    rounds: [],
  };
}

async function countEvents(db: TestDatabase): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.events'))[0]!.n);
}

/**
 * When the last event accepted by a load that ended at `endedAt` was persisted: the first
 * check that was sent after the load's end and found everything persisted, taken when its
 * answer came. Checks run from the start of the load (one consumer-info request every 20 ms),
 * so the answer is not delayed by the load generator's exit.
 */
function watchPersisted(side: Side): { after(endedAt: number): Promise<number>; stop(): void } {
  const done: Array<{ sentAt: number; at: number }> = [];
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const sentAt = Date.now();
      if (await side.persisted().catch(() => false)) done.push({ sentAt, at: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async after(endedAt) {
      const deadline = Date.now() + 600_000;
      for (;;) {
        const found = done.find((d) => d.sentAt >= endedAt);
        if (found !== undefined) return found.at;
        if (Date.now() > deadline) throw new Error(`${side.workload}: events not persisted after 600 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop() {
      stopped = true;
    },
  };
}

/** One round: load, then wait for the last accepted event to be persisted. */
async function runRound(side: Side, options: LoadOptions, eventsPerRequest: number): Promise<Round> {
  await side.reset();
  const meters = Object.entries(side.processes).map(([name, child]) => [name, cpuMeter(child.pid!)] as const);
  const pathCpu = await pathCpuMeter({ ...Object.fromEntries(Object.entries(side.processes).map(([name, child]) => [name, [child.pid!]])), ...side.helpers }, side.db);
  const watch = side.persistedWhenAnswered ? undefined : watchPersisted(side);
  const r = await load(options);
  const persistedAt = watch === undefined ? r.endedAt! : await watch.after(r.endedAt!);
  watch?.stop();
  const cpu = Object.fromEntries(meters.map(([name, meter]) => [name, Math.round(meter.stop())]));
  const accepted = (r.ok ?? r.total - r.non2xx) * eventsPerRequest;
  const cpuPerEventUs = await pathCpu.stop(accepted);
  const rows = await countEvents(side.db);
  // Requests still in flight when the load stopped may be persisted without their 202 being counted: more rows is fine, fewer is not.
  if (rows < accepted) throw new Error(`${side.workload}: ${rows} rows for ${accepted} accepted events`);
  const seconds = (persistedAt - r.startedAt!) / 1000;
  return { rate: accepted / seconds, accepted, httpRate: (accepted * 1000) / (r.endedAt! - r.startedAt!), tailSeconds: (persistedAt - r.endedAt!) / 1000, cpu, cpuPerEventUs };
}

function sideRow(side: Side, baseline?: string): Row {
  const ordered = [...side.rounds].sort((a, b) => a.rate - b.rate);
  const m = ordered[Math.floor(ordered.length / 2)]!;
  const rss = Object.fromEntries(Object.entries(side.processes).map(([name, child]) => [name, Math.round(peakRssMb(child.pid!))]));
  return {
    workload: side.workload,
    eventsPerSecond: Math.round(m.rate),
    p50Ms: null,
    p99Ms: null,
    cpuPercent: Object.values(m.cpu).reduce((a, b) => a + b, 0),
    peakRssMb: Math.max(...Object.values(rss)),
    rssByProcess: rss,
    ...(baseline !== undefined ? { baseline } : {}),
    note:
      `median of ${side.rounds.length} rounds: ${side.rounds.map((r) => Math.round(r.rate)).join(', ')}; ` +
      `median round: ${m.accepted} accepted at ${Math.round(m.httpRate)}/s, last persisted ${m.tailSeconds.toFixed(1)} s after the load; ` +
      `CPU: ${Object.entries(m.cpu).map(([name, c]) => `${name} ${c}`).join(' + ')}; ` +
      cpuPerEventNote(m.cpuPerEventUs),
  };
}

export async function runPersisted(ctx: BenchContext, mode: Mode): Promise<void> {
  const { options, report } = ctx;
  const file = mode === 'batch' ? batchFile(ctx.scratch) : '';
  const eventsPerRequest = mode === 'batch' ? BATCH_LINES : 1;
  log(`persisted per second, ${mode}: starting sluice gateway + worker and the direct gateway`);
  const sides = [await startSluice(ctx, mode), await startDirect(ctx, mode)];
  const [sluice, direct] = sides as [Side, Side];
  report.extra[`persist_${mode}_startupMs`] = `sluice gateway ${Math.round(sluice.startupMs)}, direct ${Math.round(direct.startupMs)}`;
  try {
    // Warm-up, unmeasured: the JIT, the connections, the day partitions.
    for (const side of sides) {
      await load(loadOptions(mode, side.url, 2, file));
      await waitFor(side.persisted, `${side.workload} to persist its warm-up`, 600_000, 50);
    }
    for (let round = 1; round <= options.rounds; round++) {
      // Alternated, each round starting with the other side: the machine's drift falls on both.
      const order = round % 2 === 1 ? sides : [...sides].reverse();
      for (const side of order) {
        log(`${side.workload}, round ${round} of ${options.rounds}`);
        side.rounds.push(await runRound(side, loadOptions(mode, side.url, options.persistSeconds, file), eventsPerRequest));
      }
    }
    report.rows.push(sideRow(direct), sideRow(sluice, direct.workload));
    const label = mode === 'single' ? 'events persisted/s, single events, sluice / direct gateway' : `events persisted/s, NDJSON batches of ${BATCH_LINES}, sluice / direct gateway`;
    report.lines.push(
      ratioVerdict(
        label,
        sluice.rounds.map((r) => r.rate),
        direct.rounds.map((r) => r.rate),
        { atLeast: TARGET },
      ),
    );
    // CPU time per event is steadier than the rate on a shared machine: the other processes' load moves it less.
    const perEvent = (side: Side): number[] => side.rounds.map((r) => Object.values(r.cpuPerEventUs).reduce((a, b) => a + b, 0));
    report.lines.push(
      `CPU µs per persisted event (${mode === 'single' ? 'single events' : 'NDJSON'}, every process of the path, by round): sluice ${perEvent(sluice).join(', ')}; direct ${perEvent(direct).join(', ')}`,
    );
    report.extra[`persist_${mode}_ratio`] = Math.round(median(sluice.rounds.map((r, i) => r.rate / direct.rounds[i]!.rate)) * 100) / 100;
  } finally {
    for (const side of sides) await side.close();
  }
}
