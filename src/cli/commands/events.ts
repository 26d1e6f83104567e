import type { ListFilter } from '../../client/index.js';
import { COMMON_OPTIONS, clientFrom, integerOption, parseCommandArgs, runCommand, UsageError } from './client-args.js';
import { formatEventLine } from './client-output.js';
import { type CommandIo, write } from './io.js';
import { parseTimeArg } from './time-arg.js';

export const HELP = `Usage: sluice events [options]

Lists stored events in ingestion order, one per line (time, type, id, data).

Options:
  --type T                 event type, or a pattern: order.* (one token), order.> (the rest)
  --source S               only events from this source
  --since TIME             received at or after TIME: RFC 3339, or a duration back (15m, 2h, 7d)
  --until TIME             received before TIME
  --data JSON              only events whose JSON data contains JSON: '{"customer":"c-42"}'
  --limit N                events per page, 1-1000 (default 100)
  --cursor C               start where an earlier page ended (its next_cursor)
  --all                    follow the pages to the end
  --url URL                gateway (default $SLUICE_URL or http://127.0.0.1:8080)
  --api-key KEY            API key (default $SLUICE_API_KEY)
  --json                   print the page as JSON; with --all, one event per line (NDJSON)
  -h, --help               show this help
`;

const GATEWAY_DEFAULT_LIMIT = 100;

/** Reads the filter options shared by `events` and `tail`. */
export function filterFrom(values: { type?: string; source?: string; since?: string; until?: string; data?: string }, now = Date.now()): ListFilter {
  const filter: ListFilter = {};
  if (values.type !== undefined) filter.type = values.type;
  if (values.source !== undefined) filter.source = values.source;
  if (values.since !== undefined) filter.since = parseTimeArg('since', values.since, now);
  if (values.until !== undefined) filter.until = parseTimeArg('until', values.until, now);
  if (values.data !== undefined) filter.data = dataArg(values.data);
  return filter;
}

export async function run(args: string[], io: CommandIo): Promise<number> {
  return runCommand('events', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_OPTIONS,
        type: { type: 'string' },
        source: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        data: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
        all: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      await write(io.stdout, HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const filter = filterFrom(values);
    const limit = integerOption('limit', values.limit, 1, 1000);
    if (limit !== undefined) filter.limit = limit;
    if (values.cursor !== undefined) filter.cursor = values.cursor;
    const client = clientFrom(values, io.env);

    if (values.all) {
      let count = 0;
      for await (const event of client.listAll(filter)) {
        count++;
        await write(io.stdout, `${values.json ? JSON.stringify(event) : formatEventLine(event)}\n`);
      }
      if (!values.json && count === 0) await write(io.stderr, 'no events\n');
      return 0;
    }

    const page = await client.list(filter);
    if (values.json) {
      await write(io.stdout, `${JSON.stringify(page)}\n`);
      return 0;
    }
    for (const event of page.events) await write(io.stdout, `${formatEventLine(event)}\n`);
    if (page.events.length === 0) await write(io.stderr, 'no events\n');
    else if (page.next_cursor !== null && page.events.length >= (limit ?? GATEWAY_DEFAULT_LIMIT)) {
      await write(io.stderr, `more: sluice events --cursor ${page.next_cursor} (or --all)\n`);
    }
    return 0;
  });
}

/** `--data` is JSON text, checked here so a typo is a usage error rather than a round trip. */
function dataArg(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--data: not JSON (${(error as Error).message.slice(0, 80)}); quote it like --data '{"customer":"c-42"}'`);
  }
  return text;
}
