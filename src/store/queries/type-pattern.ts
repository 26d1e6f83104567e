/**
 * Turns a NATS-style type pattern into a SQL condition on `column`, adding its parameter.
 * Exact types compare with `=` (index-friendly); wildcards become an anchored regex.
 */
export function typeCondition(column: string, pattern: string, params: unknown[]): string {
  if (!pattern.includes('*') && !pattern.includes('>')) {
    params.push(pattern);
    return `${column} = $${params.length}`;
  }
  const regex = pattern
    .split('.')
    .map((token) => (token === '*' ? '[^.]+' : token === '>' ? '.+' : token.replace(/[-]/g, '\\-')))
    .join('\\.');
  params.push(`^${regex}$`);
  return `${column} ~ $${params.length}`;
}
