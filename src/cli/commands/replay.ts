import type { ReplayAccepted, ReplayRequest, ReplayStatus } from '../../client/index.js';
import { COMMON_OPTIONS, UsageError, clientFrom, integerOption, parseCommandArgs, runCommand } from './client-args.js';
import { formatReplayAccepted, formatReplayStatus } from './client-output.js';
import { interruptSignal, pause } from './interrupt.js';
import { type CommandIo, write } from './io.js';
import { parseTimeArg } from './time-arg.js';

export const HELP = `Usage: sluice replay ID... [options]
       sluice replay --type T [--since TIME] [--until TIME] [options]

Re-delivers stored events to the workers under their original ids (no duplicate rows), and
prints the replay's id. Useful after fixing the cause of failed events.

Options:
  --type T                 replay every event of this type or pattern (order.>, order.*)
  --since TIME             received at or after TIME: RFC 3339, or a duration back (15m, 2h, 7d)
  --until TIME             received before TIME
  --subscription NAME      re-deliver to this subscription only (not the workers, not other subscriptions)
  --wait                   wait until every matched event is re-published
  --interval MS            how often --wait asks (default 500)
  --url URL                gateway (default $SLUICE_URL or http://127.0.0.1:8080)
  --api-key KEY            API key (default $SLUICE_API_KEY)
  --json                   print the answer as JSON (with --wait, with the final progress)
  -h, --help               show this help
`;

/** Reads what to replay from ids or --type/--since/--until; exactly one of the two ways. */
export function replayRequestFrom(
  ids: readonly string[],
  values: { type?: string; since?: string; until?: string },
  now = Date.now(),
): string | ReplayRequest {
  const range = values.type !== undefined || values.since !== undefined || values.until !== undefined;
  if (ids.length > 0 && range) throw new UsageError('give event ids or --type with a time range, not both');
  if (ids.length === 1) return ids[0] as string;
  if (ids.length > 1) return { ids: [...ids] };
  if (values.type === undefined) throw new UsageError('give event ids, or --type T (with --since/--until) to replay a range');
  const request: ReplayRequest = { type: values.type };
  if (values.since !== undefined) request.since = parseTimeArg('since', values.since, now);
  if (values.until !== undefined) request.until = parseTimeArg('until', values.until, now);
  return request;
}

export async function run(args: string[], io: CommandIo): Promise<number> {
  return runCommand('replay', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_OPTIONS,
        type: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        subscription: { type: 'string' },
        wait: { type: 'boolean', default: false },
        interval: { type: 'string' },
      },
    });
    if (values.help) {
      await write(io.stdout, HELP);
      return 0;
    }
    const chosen = replayRequestFrom(positionals, values);
    const request = values.subscription === undefined ? chosen : { ...(typeof chosen === 'string' ? { ids: [chosen] } : chosen), subscription: values.subscription };
    const interval = integerOption('interval', values.interval, 10, 3_600_000) ?? 500;
    const client = clientFrom(values, io.env);
    const accepted = await client.replay(request);
    if (accepted.unknown.length > 0) await write(io.stderr, `unknown ids (never accepted): ${accepted.unknown.join(' ')}\n`);
    if (!values.wait) {
      await write(io.stdout, values.json ? `${JSON.stringify(accepted)}\n` : `${formatReplayAccepted(accepted)}\n`);
      return 0;
    }
    if (!values.json) await write(io.stdout, `${formatReplayAccepted(accepted)}\n`);
    const final = await waitForReplay(accepted, interval, io, client.replayStatus.bind(client));
    if (final === undefined) {
      await write(io.stderr, `stopped waiting; replay ${accepted.replay_id} goes on in the gateway\n`);
      return 130;
    }
    await write(io.stdout, values.json ? `${JSON.stringify({ ...accepted, ...final })}\n` : `${formatReplayStatus(final)}\n`);
    return 0;
  });
}

/** Polls the replay until it is done; undefined when interrupted first. */
async function waitForReplay(
  accepted: ReplayAccepted,
  interval: number,
  io: CommandIo,
  replayStatus: (id: string, options: { signal: AbortSignal }) => Promise<ReplayStatus>,
): Promise<ReplayStatus | undefined> {
  const { signal, dispose } = interruptSignal(io);
  try {
    for (;;) {
      let status: ReplayStatus;
      try {
        status = await replayStatus(accepted.replay_id, { signal });
      } catch (thrown) {
        if (signal.aborted) return undefined;
        throw thrown;
      }
      if (status.status === 'done') return status;
      if (!(await pause(interval, signal))) return undefined;
    }
  } finally {
    dispose();
  }
}
