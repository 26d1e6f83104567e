// What the console's browser tests share: where the browser is, whether a missing one skips the
// suite, the console built before the first page, and the browser started the same way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Screenshots the suites leave for a person to look at. */
export const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

// CI installs Chromium and sets SLUICE_REQUIRE_BROWSER, so there a missing browser fails instead of skipping.
const browserRequired = process.env.SLUICE_REQUIRE_BROWSER === '1' || process.env.CI === 'true';
/** A browser suite's `skip`: false where a browser is, or where one is required (it then fails). */
export const skipWithoutBrowser: false | string = existsSync(CHROMIUM) || browserRequired ? false : `no browser at ${CHROMIUM}`;

/** Builds the console unless console-dist/ holds it already. */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(ROOT, 'console-dist', 'index.html'))) return;
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')], { stdio: 'inherit' });
  assert.equal(built.status, 0, 'the console builds');
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
