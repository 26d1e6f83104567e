/** A 256-byte JSON event that is also a valid `Order` of bench/entities.yaml. */
export function eventBody(i: number): string {
  const base = { order_id: `o-${i}`, status: 'paid', total: 42.5, currency: 'EUR', customer: `c-${i % 1000}`, note: '' };
  const length = JSON.stringify(base).length;
  return JSON.stringify({ ...base, note: 'x'.repeat(Math.max(0, 256 - length)) });
}
