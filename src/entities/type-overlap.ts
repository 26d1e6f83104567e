/**
 * Can one event type match both NATS-style patterns? (`*` is one token, `>` one or more
 * trailing tokens.) `order.*` overlaps `order.created` and `order.>`; `order.*` does not
 * overlap `order.created.v2`.
 */
export function typePatternsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return p === q;
    // `>` needs at least one token here, and the other side has one (a literal, `*` or `>`).
    if (p === '>' || q === '>') return true;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
}
