import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { isConsolePath, registerConsole } from '../../src/console-server/index.js';

const PAGE = '<!doctype html><html><head><script type="module" src="/console/assets/index-AbC123.js"></script></head><body><div id="app"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});`;

describe('console server', () => {
  let dir: string;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), PAGE);
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), SCRIPT);
    writeFileSync(join(dir, 'assets', 'index-Def456.css'), 'body{margin:0}');
    app = Fastify();
    // API routes registered beside the console must keep answering.
    app.get('/events', async () => ({ events: [], next_cursor: null }));
    app.get('/health', async () => ({ status: 'ok' }));
    app.get('/metrics', async (_req, reply) => reply.type('text/plain').send('sluice_events_accepted_total 1\n'));
    await registerConsole(app, { distDir: dir });
    await app.ready();
  });

  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at / as HTML that is revalidated on every load', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(res.body, PAGE);
  });

  it('serves hashed files with their content type and a year-long immutable cache', async () => {
    const js = await app.inject({ url: '/console/assets/index-AbC123.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.body, SCRIPT);
    const css = await app.inject({ url: '/console/assets/index-Def456.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  });

  it('answers gzip to a browser that accepts it, and 304 to a matching ETag', async () => {
    const zipped = await app.inject({ url: '/console/assets/index-AbC123.js', headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(zipped.rawPayload).toString(), SCRIPT);
    const etag = String(zipped.headers.etag);
    const again = await app.inject({ url: '/console/assets/index-AbC123.js', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  it('answers 404 with the API error shape for a file that does not exist', async () => {
    const res = await app.inject({ url: '/console/assets/nope.js' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
    const escape = await app.inject({ url: '/console/../package.json' });
    assert.notEqual(escape.statusCode, 200);
  });

  it('leaves the API routes alone', async () => {
    assert.deepEqual((await app.inject({ url: '/events' })).json(), { events: [], next_cursor: null });
    assert.deepEqual((await app.inject({ url: '/health' })).json(), { status: 'ok' });
    assert.match((await app.inject({ url: '/metrics' })).body, /sluice_events_accepted_total/);
    assert.equal((await app.inject({ url: '/events/abc' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/openapi.json' })).statusCode, 404);
  });

  it('tells the page and its files apart from API paths for the key check', () => {
    for (const path of ['/', '/console/assets/index-AbC123.js', '/console', '/?x=1']) assert.equal(isConsolePath(path), true, path);
    for (const path of ['/events', '/ingest/status/x', '/replay', '/metrics', '/consoles', '/docs']) {
      assert.equal(isConsolePath(path), false, path);
    }
  });
});

describe('console server without a build', () => {
  it('explains at / how to build the console', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sluice-console-empty-'));
    const app = Fastify({ logger: false });
    try {
      await registerConsole(app, { distDir: empty });
      const res = await app.inject({ url: '/' });
      assert.equal(res.statusCode, 200);
      assert.match(res.body, /npm run build/);
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
