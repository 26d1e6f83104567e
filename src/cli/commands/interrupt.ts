import type { CommandIo } from './io.js';

/** A signal that aborts on SIGINT or when the caller's own signal aborts; dispose when done. */
export function interruptSignal(io: CommandIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort(new Error('interrupted'));
  process.on('SIGINT', onInterrupt);
  const outer = io.signal;
  if (outer?.aborted === true) onInterrupt();
  outer?.addEventListener('abort', onInterrupt, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onInterrupt);
      outer?.removeEventListener('abort', onInterrupt);
    },
  };
}

/** Waits `ms`, or less when the signal aborts (then resolves false). */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
