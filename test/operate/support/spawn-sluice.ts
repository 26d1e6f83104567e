import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));

export interface SluiceExit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs the built `sluice` command (npm run build first) with only the given environment and
 * PATH, and waits for it to exit; kills it after `timeoutMs` (code null then).
 */
export async function runSluice(args: string[], env: Record<string, string>, timeoutMs = 15_000): Promise<SluiceExit> {
  if (!existsSync(new URL('../../../dist/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run npm run build first');
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - started };
}
