import { readFile } from 'node:fs/promises';
import type { Delivery, DeliveryState, SubscriptionDefinition, SubscriptionStatus } from '../../client/index.js';
import { COMMON_OPTIONS, UsageError, clientFrom, integerOption, parseCommandArgs, runCommand } from './client-args.js';
import { table } from './client-output.js';
import { type CommandIo, write } from './io.js';

export const HELP = `Usage: sluice subscriptions list
       sluice subscriptions add NAME ENDPOINT --type T [--type T...] [options]
       sluice subscriptions add --file FILE.json
       sluice subscriptions pause NAME | resume NAME | remove NAME
       sluice subscriptions deliveries NAME [--status pending|delivered|failed] [--limit N]
       sluice subscriptions replay-failed NAME

Manages the subscriptions of a running gateway (the API key needs the admin scope). A new
subscription's secret is printed once: keep it to verify the webhook-signature of its requests.

Options of add (ENDPOINT is the http(s) URL events are POSTed to):
  --type T                 an event type or pattern to deliver (repeat it)
  --secret whsec_...       the signing secret (generated when left out)
  --filter JSON            the JSON data must contain this, like '{"status":"paid"}'
  --max-attempts N         attempts before a delivery fails (10)
  --timeout DURATION       longest wait for an answer (10s)
  --max-in-flight N        deliveries at once (16)
  --ordered                one at a time per key (entity key, else event id)
  --paused                 created paused
  --file FILE              the whole definition as JSON, as POST /subscriptions takes it

Common options:
  --url URL                gateway (default $SLUICE_URL or http://127.0.0.1:8080)
  --api-key KEY            API key (default $SLUICE_API_KEY)
  --json                   print answers as JSON
  -h, --help               show this help
`;

const ACTIONS = ['list', 'add', 'pause', 'resume', 'remove', 'deliveries', 'replay-failed'] as const;
type Action = (typeof ACTIONS)[number];

function nameOf(positionals: readonly string[], action: Action): string {
  const name = positionals[1];
  if (name === undefined || positionals.length > 2) throw new UsageError(`${action} takes one subscription name`);
  return name;
}

/** A subscription on one line: name, state, counts, types → url. */
export function formatSubscriptionLine(s: SubscriptionStatus): string {
  const state = s.paused ? 'paused' : 'active';
  const error = s.last_error === null ? '' : `  last error: ${s.last_error.error ?? s.last_error.status_code}`;
  return `${s.name}  ${state}  pending ${s.pending}  delivered ${s.delivered}  failed ${s.failed}  ${s.types.join(',')} -> ${s.url}${error}`;
}

function formatDelivery(d: Delivery): string {
  const last = d.status_code !== null ? `HTTP ${d.status_code}` : (d.error ?? '');
  return `${d.last_attempt_at}  ${d.status.padEnd(9)}  ${d.event_type}  ${d.event_id}  attempts ${d.attempts}  ${last}`;
}

export function definitionFrom(name: string, values: Record<string, unknown>): SubscriptionDefinition {
  const types = (values.type as string[] | undefined) ?? [];
  if (types.length === 0) throw new UsageError('add needs at least one --type');
  if (typeof values.endpoint !== 'string') throw new UsageError('add needs the endpoint: sluice subscriptions add NAME https://...');
  let filter: unknown;
  if (typeof values.filter === 'string') {
    try {
      filter = JSON.parse(values.filter);
    } catch {
      throw new UsageError('--filter must be JSON, like \'{"status":"paid"}\'');
    }
  }
  const maxAttempts = integerOption('max-attempts', values['max-attempts'] as string | undefined, 1, 100);
  const maxInFlight = integerOption('max-in-flight', values['max-in-flight'] as string | undefined, 1, 1000);
  return {
    name,
    types,
    url: values.endpoint,
    ...(typeof values.secret === 'string' ? { secret: values.secret } : {}),
    ...(filter !== undefined ? { filter } : {}),
    ...(maxAttempts !== undefined ? { max_attempts: maxAttempts } : {}),
    ...(typeof values.timeout === 'string' ? { timeout: values.timeout } : {}),
    ...(maxInFlight !== undefined ? { max_in_flight: maxInFlight } : {}),
    ...(values.ordered === true ? { ordered: true } : {}),
    ...(values.paused === true ? { paused: true } : {}),
  };
}

export async function run(args: string[], io: CommandIo): Promise<number> {
  return runCommand('subscriptions', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_OPTIONS,
        type: { type: 'string', multiple: true },
        secret: { type: 'string' },
        filter: { type: 'string' },
        'max-attempts': { type: 'string' },
        timeout: { type: 'string' },
        'max-in-flight': { type: 'string' },
        ordered: { type: 'boolean', default: false },
        paused: { type: 'boolean', default: false },
        file: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
      },
    });
    if (values.help) {
      await write(io.stdout, HELP);
      return 0;
    }
    const action = positionals[0] as Action | undefined;
    if (action === undefined || !ACTIONS.includes(action)) throw new UsageError(`say what to do: ${ACTIONS.join(', ')}`);
    const client = clientFrom(values, io.env);
    const print = (json: unknown, text: string) => write(io.stdout, values.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
    switch (action) {
      case 'list': {
        const all = await client.subscriptions();
        await print(all, all.length === 0 ? 'no subscriptions' : all.map(formatSubscriptionLine).join('\n'));
        return 0;
      }
      case 'add': {
        let definition: SubscriptionDefinition;
        if (values.file !== undefined) {
          definition = JSON.parse(await readFile(values.file, 'utf8')) as SubscriptionDefinition;
        } else {
          const [, name, endpoint, ...extra] = positionals;
          if (name === undefined || extra.length > 0) throw new UsageError('add takes a name and an endpoint: sluice subscriptions add NAME https://...');
          definition = definitionFrom(name, { ...values, endpoint });
        }
        const created = await client.createSubscription(definition);
        await print(created, `${table([
          ['name', created.name],
          ['types', created.types.join(', ')],
          ['url', created.url],
          ['secret', created.secret],
        ])}\nkeep the secret: it is not shown again`);
        return 0;
      }
      case 'pause':
      case 'resume': {
        const changed = action === 'pause' ? await client.pauseSubscription(nameOf(positionals, action)) : await client.resumeSubscription(nameOf(positionals, action));
        await print(changed, `${changed.name} ${changed.paused ? 'paused' : 'resumed'}`);
        return 0;
      }
      case 'remove': {
        const name = nameOf(positionals, action);
        await client.deleteSubscription(name);
        await print({ removed: name }, `${name} removed`);
        return 0;
      }
      case 'deliveries': {
        const status = values.status as DeliveryState | undefined;
        if (status !== undefined && !['pending', 'delivered', 'failed'].includes(status)) throw new UsageError('--status is pending, delivered or failed');
        const limit = integerOption('limit', values.limit, 1, 500) ?? 50;
        const page = await client.deliveries(nameOf(positionals, action), { ...(status !== undefined ? { status } : {}), limit });
        await print(page, page.deliveries.length === 0 ? 'no deliveries' : page.deliveries.map(formatDelivery).join('\n'));
        return 0;
      }
      case 'replay-failed': {
        const name = nameOf(positionals, action);
        const result = await client.replayFailed(name);
        await print(result, `${result.replayed} failed deliveries of ${name} to re-deliver`);
        return 0;
      }
    }
  });
}
