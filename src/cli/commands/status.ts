import { COMMON_OPTIONS, UsageError, clientFrom, parseCommandArgs, runCommand } from './client-args.js';
import { formatStatus } from './client-output.js';
import { type CommandIo, write } from './io.js';

export const HELP = `Usage: sluice status ID [options]

Shows where an event is on its way to the database: accepted, processing, persisted or failed.

Options:
  --event                  print the stored event itself (as a CloudEvent) instead
  --url URL                gateway (default $SLUICE_URL or http://127.0.0.1:8080)
  --api-key KEY            API key (default $SLUICE_API_KEY)
  --json                   print the gateway's answer as JSON
  -h, --help               show this help
`;

export async function run(args: string[], io: CommandIo): Promise<number> {
  return runCommand('status', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...COMMON_OPTIONS, event: { type: 'boolean', default: false } },
    });
    if (values.help) {
      await write(io.stdout, HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one event id');
    const id = positionals[0] as string;
    const client = clientFrom(values, io.env);
    if (values.event) {
      const event = await client.get(id);
      await write(io.stdout, `${JSON.stringify(event, null, values.json ? undefined : 2)}\n`);
      return 0;
    }
    const status = await client.status(id);
    await write(io.stdout, values.json ? `${JSON.stringify(status)}\n` : `${formatStatus(status)}\n`);
    return 0;
  });
}
