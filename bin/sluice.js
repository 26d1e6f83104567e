#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// V8 lets the old generation grow to about four times its live size between full collections
// when the heap limit is large (4 GB on a machine with 16 GB or more). Events waiting for their
// acks outlive two scavenges and are promoted, so under load that garbage, not live data, set
// the peak RSS. Growing by at most 1.6× keeps the NDJSON gateway's peak RSS near 180 MB instead of
// 230-260 MB at the same throughput (BENCHMARKS.md). `node --heap-growing-percent=N bin/sluice.js …`
// overrides (node does not take this flag in NODE_OPTIONS).
const given = process.execArgv.map((arg) => arg.replaceAll('_', '-').replace(/^--no-?/, '--'));
const isGiven = (...flags) => given.some((arg) => flags.some((flag) => arg.startsWith(flag)));
if (!isGiven('--heap-growing-percent')) setFlagsFromString('--heap-growing-percent=60');

// `sluice dev` without DATABASE_URL runs PGlite, PostgreSQL compiled to WebAssembly, in this
// process. V8's optimising compiler (TurboFan) for it left 60-90 MB with the allocator, and
// PGlite's baseline code (Liftoff) runs `npm start` at the same single-event rate: peak RSS
// 256-261 MB against 310-347 MB (BENCHMARKS.md, "Embedded mode memory"). `--[no-]liftoff-only`,
// `--[no-]liftoff`, `--[no-]wasm-tier-up` or `--[no-]wasm-dynamic-tiering` given to node overrides.
const embeddedDatabase = (process.env.DATABASE_URL ?? '').trim() === '';
if (process.argv[2] === 'dev' && embeddedDatabase && !isGiven('--liftoff', '--wasm-tier-up', '--wasm-dynamic-tiering')) setFlagsFromString('--liftoff-only');

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
