/**
 * The promise's value, or `late()`'s error once `ms` have passed without one. The work itself
 * goes on after the deadline (a bus request cannot be called back); should it fail then, nobody
 * waits for its error any more.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
