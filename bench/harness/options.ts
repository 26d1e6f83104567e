/** The command line of `npm run bench`. */

/** Every section, in the order a run takes them. hello, naive and single are loaded in the same rounds. */
export const SECTIONS = ['hello', 'naive', 'single', 'batch', 'raw', 'drain', 'e2e', 'persist', 'persist-batch', 'embedded', 'startup', 'buslib'] as const;
export type Section = (typeof SECTIONS)[number];

export const USAGE = `npm run bench -- [options]

Sluice's throughput, latency, CPU and memory next to what the same machine does without it,
in one run: a private nats-server, fresh PostgreSQL databases, every server its own process.

  --seconds N        length of the fixed-length runs (default 10); rounds last half of it (at least 3 s)
  --rounds N         rounds of the servers loaded in turn; each row is the median round (default 3)
  --persist-seconds N  length of each round of the persist sections (default 8)
  --drain N          events the worker drains (default 200000); the raw COPY baseline copies as many rows
  --archive N        also list GET /events over an archive of N rows (with the e2e section)
  --only A,B         some sections only (default: every one):
                       hello, naive, single  single events at full speed, loaded in turn (single adds the
                                             keyed gateway, the half-rate latency and GET /health)
                       batch                 NDJSON batches through the gateway
                       raw                   raw pipelined JetStream publish (the batch row's baseline)
                       drain                 the worker draining a pre-filled stream, and the raw COPY baseline
                       e2e                   HTTP → 202 → persisted latency at a quarter of the slower side's rate
                       persist               single events persisted per second: gateway + worker vs the direct gateway
                       persist-batch         the same with NDJSON batches
                       embedded              \`npm start\` (sluice dev, embedded): single-event rate, 202 → persisted p99
                       startup               start-up to the first 202, JetStream+PostgreSQL and embedded
                       buslib                bench/bus-library.ts, when it exists
  --prof DIR         Sluice processes and the direct gateway write \`node --cpu-prof\` profiles into DIR/<process>
  --heap-prof DIR    … and \`node --heap-prof\` (sampled allocations) into DIR/<process>
  --wrk              each full-speed HTTP row measured again with wrk (apt install wrk)
  --no-build         skip \`npm run build\`
  --help             this text
`;

export interface BenchOptions {
  readonly seconds: number;
  readonly roundSeconds: number;
  readonly persistSeconds: number;
  readonly rounds: number;
  readonly drainEvents: number;
  readonly archiveRows: number;
  readonly only: readonly Section[] | undefined;
  readonly profileDir: string | undefined;
  readonly heapProfileDir: string | undefined;
  readonly wrk: boolean;
  readonly build: boolean;
}

const VALUE_FLAGS = ['--seconds', '--rounds', '--persist-seconds', '--drain', '--archive', '--only', '--prof', '--heap-prof'];
const BARE_FLAGS = ['--wrk', '--no-build', '--help', '-h'];

/** The options, or 'help'; throws on a flag or section it does not know. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (BARE_FLAGS.includes(arg)) continue;
    if (!VALUE_FLAGS.includes(arg) || argv[i + 1] === undefined) throw new Error(`unknown flag or missing value: ${arg}`);
    values.set(arg, argv[++i]!);
  }
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const number = (name: string, fallback: number): number => {
    const value = Number(values.get(name) ?? fallback);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} takes a number`);
    return value;
  };
  const only = values.get('--only')?.split(',');
  const unknown = only?.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown !== undefined && unknown.length > 0) throw new Error(`unknown section: ${unknown.join(', ')} (sections: ${SECTIONS.join(', ')})`);
  const seconds = number('--seconds', 10);
  return {
    seconds,
    roundSeconds: Math.max(3, Math.round(seconds / 2)),
    // 8 s rounds keep the whole default run under 10 minutes; the worker's backlog still counts in full.
    persistSeconds: number('--persist-seconds', 8),
    rounds: Math.max(1, number('--rounds', 3)),
    drainEvents: number('--drain', 200_000),
    archiveRows: number('--archive', 0),
    only: only as Section[] | undefined,
    profileDir: values.get('--prof'),
    heapProfileDir: values.get('--heap-prof'),
    wrk: argv.includes('--wrk'),
    build: !argv.includes('--no-build'),
  };
}

/** Is a section selected? */
export function wants(options: BenchOptions, section: Section): boolean {
  return options.only === undefined || options.only.includes(section);
}
