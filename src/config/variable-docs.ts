import type { Variable } from './variable-kinds.js';
import { VARIABLES } from './variables.js';

const declared = (): Array<[string, Variable<unknown>]> => Object.entries(VARIABLES);

/** What a variable is when unset, in words: its default, or what leaving it unset means. */
function whenUnset(variable: Variable<unknown>, code: (text: string) => string): string {
  if (variable.default !== null) return code(variable.default);
  return variable.unset ?? 'unset';
}

/** The default in parentheses for a comment or a help line; nothing when unset means nothing more. */
function defaultNote(variable: Variable<unknown>): string {
  if (variable.default !== null) return ` (default ${variable.default})`;
  return variable.unset !== undefined ? ` (unset: ${variable.unset})` : '';
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
    lines.push(`# ${v.doc}${defaultNote(v)}`, `#${name}=`);
  }
  return `${lines.join('\n')}\n`;
}

/** The configuration part of `sluice --help`. */
export function configHelp(): string {
  const width = Math.max(...declared().map(([name]) => name.length));
  const lines = declared().map(([name, v]) => `  ${name.padEnd(width)}  ${v.doc}${defaultNote(v)}`);
  return ['Configuration comes from the environment; every variable is optional:', '', ...lines].join('\n');
}
