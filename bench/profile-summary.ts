/**
 * Prints the top functions of a `node --cpu-prof` profile by self time, or with `--inclusive`
 * by time including their callees:
 *   node --import tsx bench/profile-summary.ts FILE [N] [--inclusive]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const inclusive = args.includes('--inclusive');
const [file, top = '25'] = args.filter((a) => a !== '--inclusive');
const profile = JSON.parse(readFileSync(file!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
const nameOf = (node: ProfileNode): string => {
  const frame = node.callFrame;
  const where = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/');
  return `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
};
const time = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  total += delta;
  if (!inclusive) {
    const key = nameOf(byId.get(id)!);
    time.set(key, (time.get(key) ?? 0) + delta);
    return;
  }
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = nameOf(byId.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    time.set(key, (time.get(key) ?? 0) + delta);
  }
});
for (const [key, us] of [...time].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  process.stdout.write(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}\n`);
}
