import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux everywhere that matters). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Peak resident set size of a process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match === null ? 0 : Number(match[1]) / 1024;
}

/** Measures the CPU share of a process over an interval: start(), then stop() gives percent of one core. */
export function cpuMeter(pid: number): { stop(): number } {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  return {
    stop() {
      const seconds = (performance.now() - t0) / 1000;
      return (100 * (cpuSeconds(pid) - cpu0)) / seconds;
    },
  };
}

/** Pids of the processes whose command line (arguments joined by spaces) passes `match`. */
export function findPids(match: (commandLine: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (match(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '))) pids.push(Number(entry));
    } catch {
      /* exited */
    }
  }
  return pids;
}

/**
 * CPU seconds a set of processes used from now to stop(); a process that exits meanwhile counts
 * up to its last reading. stop() takes the pids of processes started meanwhile (their whole time counts).
 */
export function cpuSecondsMeter(pids: readonly number[]): { stop(startedSince?: readonly number[]): number } {
  const start = new Map<number, number>();
  for (const pid of pids) {
    try {
      start.set(pid, cpuSeconds(pid));
    } catch {
      /* exited */
    }
  }
  return {
    stop(startedSince = []) {
      for (const pid of startedSince) if (!start.has(pid)) start.set(pid, 0);
      let used = 0;
      for (const [pid, before] of start) {
        try {
          used += cpuSeconds(pid) - before;
        } catch {
          /* exited */
        }
      }
      return used;
    },
  };
}
