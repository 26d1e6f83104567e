/**
 * An open-loop schedule: `count` actions due at evenly spaced times from `start` (ms,
 * performance.now()), `rate` per second. Each is started once its time has come, whatever
 * the earlier ones are doing, and told when it was due, so a latency can be counted from there.
 */
export function onSchedule(start: number, rate: number, count: number, action: (index: number, dueAt: number) => void): Promise<void> {
  const intervalMs = 1000 / rate;
  let issued = 0;
  return new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (issued < count && start + issued * intervalMs <= now) {
        action(issued, start + issued * intervalMs);
        issued++;
      }
      if (issued < count) setTimeout(tick, Math.max(0, start + issued * intervalMs - performance.now()));
      else resolve();
    };
    tick();
  });
}
