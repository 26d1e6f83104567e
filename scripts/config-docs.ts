// Writes the README's configuration table and .env.example from the declaration in
// src/config/variables.ts (test/unit/config-docs.test.ts fails when they differ).
import { readFileSync, writeFileSync } from 'node:fs';
import { configTable, envExample } from '../src/config/index.js';

export const TABLE_START = '<!-- configuration table: generated from src/config/variables.ts by `npm run config:docs` -->';
export const TABLE_END = '<!-- end of the configuration table -->';

/** The README with its configuration table replaced by the generated one. */
export function readmeWithTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${TABLE_START}" ... "${TABLE_END}" section`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${configTable()}\n${readme.slice(end)}`;
}

const ROOT = new URL('../', import.meta.url);
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/.*\//, '/'))) {
  const readme = new URL('README.md', ROOT);
  writeFileSync(readme, readmeWithTable(readFileSync(readme, 'utf8')));
  writeFileSync(new URL('.env.example', ROOT), envExample());
  console.log('wrote README.md (configuration table) and .env.example');
}
