import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** A child running a TypeScript fixture, with its stdout split into lines as they come. */
export interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves once `count` lines have arrived (rejects if the child exits first). */
  waitForLines(count: number, timeoutMs: number): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

export function runFixture(name: string, args: string[]): Child {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit');
  return {
    process: child,
    lines,
    async waitForLines(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (lines.length < count) {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${stderr.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`${name} printed ${lines.length} of ${count} lines in ${timeoutMs} ms: ${stderr.slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
