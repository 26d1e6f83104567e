import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Paths this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

/**
 * Takes `path` as a lock file holding this process's pid. A lock left by a process that
 * no longer runs (a crash) is taken over. Throws a message naming the holder otherwise.
 */
export function acquireLockFile(path: string, what: string): () => void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    if (held.has(path)) throw new Error(`${what} is already open in this process (lock ${path})`);
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder !== null && holder !== process.pid && isRunning(holder)) {
        throw new Error(`${what} is in use by process ${holder} (lock ${path}); stop that process or use another data directory`);
      }
      // Stale: its process is gone (or it is our own pid from a previous life of this pid).
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    held.add(path);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.delete(path);
      rmSync(path, { force: true });
    };
  }
  throw new Error(`${what}: could not take the lock ${path}`);
}

function readHolder(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
