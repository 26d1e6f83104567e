#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// V8 lets the old generation grow to about four times its live size between full collections
// when the heap limit is large (4 GB on a machine with 16 GB or more). Events waiting for their
// acks outlive two scavenges and are promoted, so under load that garbage, not live data, set
// the peak RSS. Growing by at most 1.6× keeps the NDJSON gateway's peak RSS near 180 MB instead of
// 230-260 MB at the same throughput (BENCHMARKS.md). `--heap-growing-percent=N`, given to node or
// in NODE_OPTIONS, overrides.
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
if (!given.some((arg) => arg.startsWith('--heap-growing-percent') || arg.startsWith('--heap_growing_percent'))) {
  setFlagsFromString('--heap-growing-percent=60');
}

// The bundled command line (scripts/build.mjs) starts faster; the module tree is the same code.
const bundle = new URL('../dist/cli/main.bundle.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (error) => {
    console.error(`sluice: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
