import type { Variable } from './variable-kinds.js';
import { VARIABLES } from './variables.js';

const declared = (): Array<[string, Variable<unknown>]> => Object.entries(VARIABLES);

/** What a variable is when unset, in words: its default, or what leaving it unset means. */
function whenUnset(variable: Variable<unknown>, code: (text: string) => string): string {
  if (variable.default !== null) return code(variable.default);
  return variable.unset ?? 'unset';
}

/** The README's configuration table (Markdown), one row per variable. */
export function configTable(): string {
  const rows = declared().map(([name, v]) => `| \`${name}\` | ${whenUnset(v, (t) => `\`${t}\``)} | ${v.doc} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** `.env.example`: every variable, commented out, with its doc and default. */
export function envExample(): string {
  const lines = ['# Every variable Sluice reads; all optional. Generated from src/config/variables.ts (npm run config:docs).'];
  for (const [name, v] of declared()) {
    lines.push(`# ${v.doc} (${v.default !== null ? `default ${v.default}` : `unset: ${whenUnset(v, (t) => t)}`})`, `#${name}=`);
  }
  return `${lines.join('\n')}\n`;
}

/** The configuration part of `sluice --help`. */
export function configHelp(): string {
  const width = Math.max(...declared().map(([name]) => name.length));
  const lines = declared().map(([name, v]) => `  ${name.padEnd(width)}  ${v.doc} (${v.default !== null ? v.default : `unset: ${whenUnset(v, (t) => t)}`})`);
  return ['Configuration comes from the environment; every variable is optional:', '', ...lines].join('\n');
}
