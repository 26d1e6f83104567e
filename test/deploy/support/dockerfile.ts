// Reads deploy/Dockerfile into stages and instructions, and lists what is wrong with it.
import { SLUICE_COMMANDS } from './files.js';

export interface Instruction { keyword: string; args: string; line: number }
export interface Stage { from: string; name: string | null; instructions: Instruction[] }

export function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i += 1;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, ' ') + next.trim();
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (match === null) throw new Error(`Dockerfile line ${start + 1}: not an instruction`);
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start + 1 });
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (m === null) throw new Error(`Dockerfile line ${ins.line}: bad FROM`);
      const from = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_all, a: string | undefined, b: string | undefined) => args.get((a ?? b)!) ?? '');
      stages.push({ from, name: m[2] ?? null, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const m = /^(\w+)(?:=(\S+))?$/.exec(ins.args);
        if (m !== null) args.set(m[1]!, m[2] ?? '');
      }
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { args, stages };
}

function execForm(args: string): string[] | null {
  try {
    const value: unknown = JSON.parse(args);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
  } catch {
    return null;
  }
}

/** Problems of the Dockerfile; `exists` answers for paths relative to the repository. */
export function dockerfileProblems(text: string, exists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  const { stages } = parseDockerfile(text);
  if (stages.length < 2) return [`multi-stage build expected, found ${stages.length} FROM`];
  for (const stage of stages) {
    if (!/^node:20[.-].*slim/.test(stage.from)) problems.push(`stage ${stage.name ?? '?'} is FROM ${stage.from}, expected node:20 (bookworm) slim`);
  }
  const names = new Set<string>();
  const runs = (stage: Stage): string => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' && ');
  for (const stage of stages) {
    for (const ins of stage.instructions.filter((i) => i.keyword === 'COPY')) {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      if (from !== undefined && !names.has(from)) problems.push(`line ${ins.line}: COPY --from=${from} names no earlier stage`);
      if (from === undefined && stage !== stages[stages.length - 1]) {
        const sources = ins.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
        for (const source of sources) if (source !== '.' && !exists(source)) problems.push(`line ${ins.line}: COPY source ${source} is not in the repository`);
      }
    }
    if (stage.name !== null) names.add(stage.name);
  }
  const build = stages[0]!;
  if (!/\bnpm ci\b/.test(runs(build))) problems.push('the build stage does not run npm ci');
  if (!/\bnpm run build\b/.test(runs(build))) problems.push('the build stage does not run the build');

  const final = stages[stages.length - 1]!;
  const finalRuns = runs(final);
  if (/\bnpm (ci|install|i)\b(?![^&]*--omit=dev)/.test(finalRuns)) problems.push('the runtime stage installs dev dependencies');
  const copiesModules = final.instructions.find((i) => i.keyword === 'COPY' && /--from=(\S+)\s+\S*node_modules/.test(i.args));
  if (copiesModules !== undefined) {
    const source = stages.find((s) => s.name === /--from=(\S+)/.exec(copiesModules.args)![1]);
    if (source === undefined || !/npm prune --omit=dev|npm ci[^&]*--omit=dev/.test(runs(source))) {
      problems.push('the runtime stage copies node_modules that still hold dev dependencies (no npm prune --omit=dev)');
    }
  }
  if (!final.instructions.some((i) => i.keyword === 'COPY' && /\bdist\b/.test(i.args))) problems.push('the runtime stage does not copy dist/');

  const users = final.instructions.filter((i) => i.keyword === 'USER');
  const user = users[users.length - 1]?.args.split(':')[0];
  if (user === undefined) problems.push('the runtime stage has no USER (it would run as root)');
  else if (user === 'root' || user === '0') problems.push(`the runtime stage runs as ${user}`);

  const health = final.instructions.filter((i) => i.keyword === 'HEALTHCHECK');
  if (health.length === 0) problems.push('the runtime stage has no HEALTHCHECK');
  for (const h of health) {
    if (/\bNONE\b/.test(h.args)) problems.push('HEALTHCHECK NONE');
    if (!/\/health\/live\b/.test(h.args)) problems.push('HEALTHCHECK does not ask /health/live');
    if (!/CMD\s+\[\s*"node"/.test(h.args)) problems.push('HEALTHCHECK does not run node (the slim image has no curl or wget)');
  }

  const entry = final.instructions.filter((i) => i.keyword === 'ENTRYPOINT').pop();
  const entryArgs = entry === undefined ? null : execForm(entry.args);
  if (entryArgs === null || entryArgs.join(' ') !== 'node bin/sluice.js') problems.push('ENTRYPOINT is not ["node","bin/sluice.js"] in exec form');
  else if (!exists(entryArgs[1]!)) problems.push(`ENTRYPOINT runs ${entryArgs[1]}, which is not in the repository`);
  const cmd = final.instructions.filter((i) => i.keyword === 'CMD').pop();
  const cmdArgs = cmd === undefined ? null : execForm(cmd.args);
  if (cmdArgs === null || cmdArgs.length === 0) problems.push('CMD is missing or not in exec form');
  else if (!SLUICE_COMMANDS.includes(cmdArgs[0]!)) problems.push(`CMD runs "${cmdArgs[0]}", which is not a sluice sub-command`);
  else if (cmdArgs[0] !== 'gateway') problems.push(`the default CMD is ${cmdArgs[0]}, expected gateway`);
  return problems;
}

/** Problems of .dockerignore: what the build needs must stay in the context. */
export function dockerignoreProblems(text: string): string[] {
  const patterns = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const problems: string[] = [];
  for (const needed of ['package.json', 'package-lock.json', 'src', 'bin', 'scripts', 'tsconfig.json']) {
    if (patterns.some((p) => p.replace(/^\/|\/$/g, '') === needed || p === '*' || p === '**')) problems.push(`.dockerignore leaves out ${needed}, which the build needs`);
  }
  for (const unwanted of ['node_modules', '.git']) {
    if (!patterns.some((p) => p.replace(/^\/|\/$/g, '') === unwanted)) problems.push(`.dockerignore does not leave out ${unwanted}`);
  }
  return problems;
}
