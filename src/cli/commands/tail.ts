import type { ListFilter, SluiceClient, StoredEvent } from '../../client/index.js';
import { COMMON_OPTIONS, UsageError, clientFrom, describeFailure, integerOption, isTransient, parseCommandArgs, runCommand } from './client-args.js';
import { formatEventLine } from './client-output.js';
import { filterFrom } from './events.js';
import { interruptSignal, pause } from './interrupt.js';
import { type CommandIo, write } from './io.js';

export const HELP = `Usage: sluice tail [options]

Follows new events as they arrive, one per line, until interrupted (Ctrl-C).
Starts from the newest event: what is already stored is skipped.

Options:
  --type T                 event type, or a pattern: order.* (one token), order.> (the rest)
  --source S               only events from this source
  --interval MS            how often to ask for new events (default 1000)
  --url URL                gateway (default $SLUICE_URL or http://127.0.0.1:8080)
  --api-key KEY            API key (default $SLUICE_API_KEY)
  --json                   one event per line as JSON (NDJSON)
  -h, --help               show this help
`;

const PAGE_SIZE = 1000;
/** Ids remembered to never print an event twice if the gateway hands back a page again. */
const SEEN_LIMIT = 10_000;

export async function run(args: string[], io: CommandIo): Promise<number> {
  return runCommand('tail', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_OPTIONS,
        type: { type: 'string' },
        source: { type: 'string' },
        interval: { type: 'string' },
      },
    });
    if (values.help) {
      await write(io.stdout, HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const filter = filterFrom(values);
    const interval = integerOption('interval', values.interval, 10, 3_600_000) ?? 1000;
    const client = clientFrom(values, io.env);
    const print = async (event: StoredEvent): Promise<void> => {
      await write(io.stdout, `${values.json ? JSON.stringify(event) : formatEventLine(event)}\n`);
    };

    const { signal, dispose } = interruptSignal(io);
    try {
      const follower = new Follower(client, filter, signal);
      await follower.catchUp(async () => {});
      if (signal.aborted) return 0;
      await write(io.stderr, `following new events${filter.type === undefined ? '' : ` of ${filter.type}`} at ${client.url} (Ctrl-C to stop)\n`);
      let troubled = false;
      while (!signal.aborted) {
        try {
          await follower.catchUp(print);
          if (troubled) await write(io.stderr, 'sluice tail: the gateway answers again\n');
          troubled = false;
        } catch (thrown) {
          if (signal.aborted) break;
          if (!isTransient(thrown)) throw thrown;
          if (!troubled) await write(io.stderr, `sluice tail: ${describeFailure(thrown)} (retrying)\n`);
          troubled = true;
        }
        if (!(await pause(interval, signal))) break;
      }
      return 0;
    } catch (thrown) {
      if (signal.aborted) return 0;
      throw thrown;
    } finally {
      dispose();
    }
  });
}

/** Walks `GET /events` by `next_cursor`, remembering where it is between polls. */
export class Follower {
  #cursor: string | undefined;
  readonly #seen = new Set<string>();

  constructor(
    private readonly client: SluiceClient,
    private readonly filter: ListFilter,
    private readonly signal: AbortSignal,
  ) {}

  /** Reads every page from the cursor to the current end, handing each unseen event on. */
  async catchUp(handle: (event: StoredEvent) => Promise<void>): Promise<void> {
    for (;;) {
      const page = await this.client.list({ ...this.filter, limit: PAGE_SIZE, cursor: this.#cursor }, { signal: this.signal });
      // A null cursor gives nothing to follow: stay where we are and rely on `seen` against repeats.
      if (page.next_cursor !== null) this.#cursor = page.next_cursor;
      for (const event of page.events) {
        if (this.#seen.has(event.id)) continue;
        this.#remember(event.id);
        await handle(event);
      }
      if (page.events.length === 0 || page.next_cursor === null || this.signal.aborted) return;
    }
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > SEEN_LIMIT) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}
