/** Redelivery delay after a failed delivery: grows with the delivery count, 1 s up to 60 s. */
export function nakDelayMs(deliveryCount: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, Math.min(deliveryCount - 1, 10)));
}
