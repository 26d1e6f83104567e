// The build's step for the embedded database's template (src/store/embedded/data-template.ts):
// initdb runs here, in a process of its own, instead of in `sluice dev` on its first start. The
// template only saves that first start its initdb, so a failure here is a warning, not a failed
// build (and `npm ci`, which runs the build, still installs).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const MARK = 'sluice-data-template-error: ';

/**
 * Writes the template with `writeDataTemplate` of the compiled `module` (a path) into
 * `templateDir`; returns whether it did. On failure it writes one line on stderr, the reason and
 * what it means, and nothing is left at `templateDir`.
 */
export function buildDataTemplate({ module, templateDir, root = process.cwd() }) {
  // The child reports its error as one marked line, also when PGlite rejects a promise nobody awaits.
  const script = `
    const fail = (error) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write('\\n${MARK}' + message.replace(/\\s+/g, ' ') + '\\n');
      process.exit(1);
    };
    process.on('uncaughtException', fail);
    process.on('unhandledRejection', fail);
    const { writeDataTemplate } = await import(${JSON.stringify(pathToFileURL(module).href)});
    await writeDataTemplate(${JSON.stringify(templateDir)});`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (child.status === 0) {
    if (child.stderr) process.stderr.write(child.stderr);
    return true;
  }
  // A process killed part way (out of memory, say) leaves its files: they are no template.
  rmSync(templateDir, { recursive: true, force: true });
  rmSync(`${templateDir}.building`, { recursive: true, force: true });
  const lines = (child.stderr ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
  const message = lines.find((line) => line.startsWith(MARK))?.slice(MARK.length)
    ?? lines.find((line) => /^[A-Z]\w*Error\b/.test(line)) ?? lines.at(-1) ?? 'no message';
  const reason = child.error?.message
    ?? (child.signal !== null ? `killed by ${child.signal}` : `${message.slice(0, 300)}, exit code ${child.status}`);
  process.stderr.write(
    `sluice build: warning: initdb for the embedded database template ${relative(root, templateDir) || templateDir}/ failed (${reason}); new embedded data directories will run initdb at their first start\n`,
  );
  return false;
}
