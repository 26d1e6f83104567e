import { readFile } from 'node:fs/promises';
import type { BatchLineResult } from '../../client/index.js';
import { COMMON_OPTIONS, UsageError, clientFrom, describeFailure, parseCommandArgs, runCommand } from './client-args.js';
import { formatLineError } from './client-output.js';
import { type CommandIo, readAll, write } from './io.js';
import { type SendInput, chunkLines, parseSendInput } from './send-input.js';

export const HELP = `Usage: sluice send TYPE [JSON | @FILE | -] [options]

Publishes one event of type TYPE through a running gateway and prints its id.
The data is inline JSON, @FILE, or - for standard input (read when nothing is given and
input is piped). A file or input holding one JSON document is one event; several lines of
NDJSON are one event per line, sent in batches of up to 1000 lines.

Options:
  --source SOURCE          CloudEvents source (default /sluice)
  --subject SUBJECT        CloudEvents subject (single event)
  --entity NAME            route to the entity NAME whatever the type
  --idempotency-key KEY    store once however often it is sent (NDJSON: line n of batch b gets KEY/b/n)
  --url URL                gateway (default $SLUICE_URL or http://127.0.0.1:8080)
  --api-key KEY            API key (default $SLUICE_API_KEY)
  --json                   print the gateway's answer as JSON
  -h, --help               show this help

Exit status: 0 when every event was accepted, 1 when the gateway refused any, 2 on bad usage.
`;

/** Retries of a 429/503 answer; nothing was stored on those, so retrying cannot duplicate. */
const SEND_RETRIES = 3;

export async function run(args: string[], io: CommandIo): Promise<number> {
  return runCommand('send', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...COMMON_OPTIONS,
        source: { type: 'string' },
        subject: { type: 'string' },
        entity: { type: 'string' },
        'idempotency-key': { type: 'string' },
      },
    });
    if (values.help) {
      await write(io.stdout, HELP);
      return 0;
    }
    const [type, dataArg, ...extra] = positionals;
    if (type === undefined) throw new UsageError('give an event type, like: sluice send order.created \'{"id":1}\'');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"; quote the JSON as one argument`);
    const input = await readInput(dataArg, io);
    const client = clientFrom(values, io.env, { retries: SEND_RETRIES });

    if (input.kind === 'single') {
      const accepted = await client.send(type, input.data, {
        idempotencyKey: values['idempotency-key'],
        source: values.source,
        subject: values.subject,
        entity: values.entity,
      });
      await write(io.stdout, values.json ? `${JSON.stringify(accepted)}\n` : `${accepted.id}\n`);
      return 0;
    }

    const chunks = chunkLines(input.lines);
    const totalLines = input.lines.length;
    const results: BatchLineResult[] = [];
    let accepted = 0;
    let rejected = 0;
    let failure: unknown;
    for (const [index, chunk] of chunks.entries()) {
      try {
        const answer = await client.sendNdjson(chunk.text, {
          type,
          entity: values.entity,
          source: values.source,
          idempotencyKey: values['idempotency-key'] === undefined ? undefined : `${values['idempotency-key']}/${index + 1}`,
        });
        accepted += answer.accepted;
        rejected += answer.rejected;
        for (const result of answer.results) {
          const line = result.line + chunk.firstLine - 1;
          const global = { ...result, line };
          results.push(global);
          if (values.json) continue;
          if ('message_id' in global) await write(io.stdout, `${global.message_id}\n`);
          else await write(io.stderr, `${formatLineError(line, global.error)}\n`);
        }
      } catch (thrown) {
        const last = chunk.firstLine + chunk.lineCount - 1;
        failure = new Error(`lines ${chunk.firstLine}-${last}: ${describeFailure(thrown)}`, { cause: thrown });
        break;
      }
      if (chunks.length > 1) {
        const done = Math.min(chunk.firstLine + chunk.lineCount - 1, totalLines);
        await write(io.stderr, `sluice send: ${done}/${totalLines} lines sent\n`);
      }
    }
    if (values.json) await write(io.stdout, `${JSON.stringify({ accepted, rejected, results })}\n`);
    if (failure !== undefined) {
      await write(io.stderr, `${(failure as Error).message}; ${accepted} accepted before it\n`);
      return 1;
    }
    if (rejected > 0 || chunks.length > 1) {
      await write(io.stderr, `sluice send: ${accepted} accepted, ${rejected} rejected\n`);
    }
    return rejected > 0 ? 1 : 0;
  });
}

async function readInput(dataArg: string | undefined, io: CommandIo): Promise<SendInput> {
  if (dataArg === undefined) {
    if ((io.stdin as { isTTY?: boolean }).isTTY === true) {
      throw new UsageError('give the data: inline JSON, @FILE, or - for standard input');
    }
    return parseSendInput(await readAll(io.stdin), 'standard input');
  }
  if (dataArg === '-') return parseSendInput(await readAll(io.stdin), 'standard input');
  if (dataArg.startsWith('@')) {
    const path = dataArg.slice(1);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (thrown) {
      const code = (thrown as { code?: string }).code;
      throw new UsageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : String(code ?? thrown)}`);
    }
    return parseSendInput(text, path);
  }
  return parseSendInput(dataArg, 'the data argument');
}
