import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { KeysFileError, keyDigest, parseKeysFile, SCOPES } from '../../gateway/index.js';
import { UsageError, parseCommandArgs, runCommand } from './client-args.js';
import { type CommandIo, write } from './io.js';

export const HELP = `Usage: sluice keys new --name NAME --scopes SCOPES [options]

Makes a new API key. Prints the key once (it is stored nowhere) and the entry to add under
"keys:" in the file SLUICE_KEYS_FILE names; the entry holds the key's SHA-256, never the key.
The gateway picks up the edited file within seconds.

Options:
  --name NAME              the key's name in logs and metrics (letters, digits, ".", "_", "-")
  --scopes LIST            comma-separated: ${SCOPES.join(', ')}
  --types LIST             comma-separated event type patterns the key may send (order.*, cart.>)
  --rate RATE              requests per second, minute or hour (500/s); bursts up to twice that
  --json                   print {"key", "entry"} as JSON
  -h, --help               show this help
`;

const KEY_BYTES = 32;

/** `sluice keys new`. */
export async function run(args: string[], io: CommandIo): Promise<number> {
  return runCommand('keys', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        scopes: { type: 'string' },
        types: { type: 'string' },
        rate: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      await write(io.stdout, HELP);
      return 0;
    }
    if (positionals[0] !== 'new' || positionals.length !== 1) throw new UsageError('the only sub-command is "new"');
    if (values.name === undefined) throw new UsageError('give the key a --name');
    if (values.scopes === undefined) throw new UsageError(`give --scopes (any of ${SCOPES.join(', ')})`);
    const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter((s) => s !== '');

    // 256 random bits: guessing one is out of reach, so a plain SHA-256 (no slow hash) is a safe way to store it.
    const key = `sluice_${randomBytes(KEY_BYTES).toString('base64url')}`;
    const entry = {
      name: values.name,
      hash: `sha256:${keyDigest(key).toString('hex')}`,
      scopes: list(values.scopes),
      ...(values.types !== undefined ? { types: list(values.types) } : {}),
      ...(values.rate !== undefined ? { rate: values.rate } : {}),
    };
    const entryYaml = stringify([entry]).replace(/^/gm, '  ').trimEnd();
    // The entry is checked as the gateway will read it, so a mistake shows here and not at reload.
    try {
      parseKeysFile(`keys:\n${entryYaml}\n`, '--options');
    } catch (error) {
      if (error instanceof KeysFileError) throw new UsageError(error.message.replace(/^--options:\d+: /, ''));
      throw error;
    }
    if (values.json) {
      await write(io.stdout, `${JSON.stringify({ key, entry })}\n`);
      return 0;
    }
    await write(io.stdout, `key (shown this once; keep it secret): ${key}\n\nadd under "keys:" in your keys file:\n${entryYaml}\n`);
    return 0;
  });
}
