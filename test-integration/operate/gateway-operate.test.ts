import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { RouteInfo } from '../../src/gateway/index.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { metricTypes, parsePrometheus, valueOf } from '../../test/helpers/prometheus.js';

// One pipeline (gateway + worker on real NATS and PostgreSQL) with API keys switched on.
const KEY = 'key-alpha-0123456789';
const OTHER_KEY = 'key-beta-9876543210';
const auth = { authorization: `Bearer ${KEY}` };
let pipeline: TestPipeline;
let routes: readonly RouteInfo[];

before(async () => {
  pipeline = await startTestPipeline({ env: { SLUICE_API_KEYS: `${KEY}, ${OTHER_KEY}` } });
  routes = pipeline.services.gateway!.routes;
});
after(async () => {
  await pipeline.stop();
});

const OPEN = ['/health', '/health/live', '/metrics', '/openapi.json', '/docs'];
const UUID = '7f1c5a9e-3b2d-4c8e-9f10-2a3b4c5d6e7f';

/** A concrete request for a route pattern. */
function concrete(url: string): string {
  return url.replace(':type', 'order.created').replace(':id', UUID).replace('*', 'x');
}

describe('API keys', () => {
  test('every API route refuses a missing or wrong key with 401 and the error shape', async () => {
    const api = routes.filter((r) => r.method !== 'HEAD' && !r.hidden && !OPEN.includes(r.url));
    assert.ok(api.length >= 10, `expected the API routes, got ${api.map((r) => r.url).join(' ')}`);
    for (const route of api) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer not-a-key' }, { authorization: `Bearer ${KEY}x` }, { authorization: KEY }]) {
        const answer = await http<{ error: { code: string; message: string } }>(`${pipeline.url}${concrete(route.url)}`, {
          method: route.method,
          headers: { ...headers, 'content-type': 'application/json' },
          ...(route.method === 'POST' ? { raw: '{"a":1}' } : {}),
        });
        assert.equal(answer.status, 401, `${route.method} ${route.url} with ${JSON.stringify(headers)}`);
        assert.equal(answer.body.error.code, 'unauthorized');
        assert.equal(typeof answer.body.error.message, 'string');
      }
    }
  });

  test('each configured key is accepted', async () => {
    for (const key of [KEY, OTHER_KEY]) {
      const answer = await http(`${pipeline.url}/events/keys.checked`, { body: { n: 1 }, headers: { authorization: `Bearer ${key}` } });
      assert.equal(answer.status, 202);
    }
  });

  test('health, metrics, the OpenAPI document and the docs page stay open', async () => {
    for (const path of ['/health', '/health/live', '/metrics', '/openapi.json', '/docs', '/docs/']) {
      const answer = await fetch(`${pipeline.url}${path}`);
      assert.ok(answer.status < 400, `${path}: ${answer.status}`);
    }
  });
});

describe('OpenAPI', () => {
  test('/openapi.json is a valid OpenAPI 3 document that documents every route the gateway serves', async () => {
    const answer = await http<Record<string, unknown>>(`${pipeline.url}/openapi.json`);
    assert.equal(answer.status, 200);
    const document = answer.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(document.openapi, /^3\./);
    await SwaggerParser.validate(structuredClone(document) as never);
    const documented = new Set(Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)));
    const served = routes.filter((r) => !r.hidden && r.method !== 'HEAD').map((r) => `${r.method} ${r.url.replace(/:([A-Za-z_]+)/g, '{$1}')}`);
    assert.ok(served.length >= 12, `the gateway's routes: ${served.join(', ')}`);
    const missing = served.filter((r) => !documented.has(r));
    assert.deepEqual(missing, []);
    for (const must of ['POST /events/{type}', 'POST /events', 'POST /ingest/message', 'POST /ingest/batch', 'GET /events', 'POST /replay', 'GET /metrics']) {
      assert.ok(documented.has(must), `${must} is documented`);
    }
  });

  test('the document describes each operation and the error shape', async () => {
    const answer = await http<{ paths: Record<string, Record<string, { summary?: string; description?: string; responses?: Record<string, unknown> }>> }>(`${pipeline.url}/openapi.json`);
    for (const [path, item] of Object.entries(answer.body.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok((operation.summary ?? operation.description ?? '').length > 0, `${method} ${path} has a summary`);
      }
    }
    assert.ok(answer.body.paths['/events/{type}']?.post?.responses?.['202'], 'POST /events/{type} documents its 202');
  });

  test('/docs serves a browsable page', async () => {
    const response = await fetch(`${pipeline.url}/docs`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await response.text(), /swagger/i);
  });
});

describe('metrics', () => {
  test('/metrics has the required names, and the counts follow what was sent', async () => {
    const scrape = async () => {
      const response = await fetch(`${pipeline.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
      return response.text();
    };
    const before = parsePrometheus(await scrape());
    const typed = 25;
    const ids: string[] = [];
    for (let i = 0; i < typed; i++) {
      const answer = await http<{ id: string }>(`${pipeline.url}/events/metrics.checked`, { body: { i }, headers: auth });
      assert.equal(answer.status, 202);
      ids.push(answer.body.id);
    }
    for (let i = 0; i < 4; i++) {
      const answer = await http(`${pipeline.url}/events/metrics.checked`, { raw: '{"broken":', headers: { ...auth, 'content-type': 'application/json' } });
      assert.equal(answer.status, 400);
    }
    const lines = [...Array.from({ length: 30 }, (_, i) => JSON.stringify({ i })), '{not json', '[1,'].join('\n');
    const batch = await http<{ accepted: number; rejected: number; results: Array<{ message_id?: string }> }>(`${pipeline.url}/ingest/batch`, {
      raw: lines,
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
    });
    assert.equal(batch.status, 202);
    assert.equal(batch.body.accepted, 30);
    for (const r of batch.body.results) if (r.message_id !== undefined) ids.push(r.message_id);

    await eventually(async () => {
      const rows = await pipeline.db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.message_status WHERE status = 'persisted' AND message_id = ANY($1::uuid[])", [ids]);
      return Number(rows[0]!.n) === ids.length ? true : undefined;
    }, 15_000, 'all events persisted');

    const text = await scrape();
    const after = parsePrometheus(text);
    const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    assert.equal(delta('sluice_events_accepted_total', { endpoint: '/events/:type' }), typed);
    assert.equal(delta('sluice_events_accepted_total', { endpoint: '/ingest/batch' }), 30);
    assert.equal(delta('sluice_events_rejected_total', { endpoint: '/events/:type', code: 'invalid_json' }), 4);
    assert.equal(delta('sluice_events_rejected_total', { endpoint: '/ingest/batch' }), 2);
    assert.equal(delta('sluice_publish_duration_seconds_count'), typed + 1, 'one publish per typed request, one for the batch');
    assert.equal(delta('sluice_http_requests_total', { route: '/events/:type', status: '202' }), typed);
    assert.equal(delta('sluice_http_requests_total', { route: '/events/:type', status: '400' }), 4);
    await eventually(async () => {
      const now = parsePrometheus(await scrape());
      return valueOf(now, 'sluice_events_persisted_total') - valueOf(before, 'sluice_events_persisted_total') >= ids.length ? true : undefined;
    }, 5_000, 'sluice_events_persisted_total to count every event');
    assert.equal(valueOf(after, 'sluice_publish_inflight'), 0);
    assert.ok(delta('sluice_worker_batch_events_count') >= 1);
    assert.ok(delta('sluice_db_write_duration_seconds_count') >= 1);
    assert.equal(delta('sluice_events_failed_total'), 0);
    const labels = { stream: pipeline.names.stream, consumer: pipeline.names.consumer };
    assert.ok(after.some((s) => s.name === 'sluice_consumer_pending_messages' && s.labels.stream === labels.stream && s.labels.consumer === labels.consumer));
    assert.ok(after.some((s) => s.name === 'sluice_consumer_ack_pending_messages' && s.labels.stream === labels.stream && s.labels.consumer === labels.consumer));

    const types = metricTypes(text);
    assert.equal(types.get('sluice_publish_duration_seconds'), 'histogram');
    assert.equal(types.get('sluice_db_write_duration_seconds'), 'histogram');
    for (const [name, type] of types) {
      if (type === 'counter') assert.match(name, /_total$/, `counter ${name} ends in _total`);
      assert.match(name, /^sluice_/, `${name} is in the sluice_ namespace`);
    }
    for (const name of ['sluice_events_retried_total', 'sluice_dead_letters_total', 'sluice_publish_inflight', 'sluice_request_batch_events']) {
      assert.ok(types.has(name), `${name} is exposed`);
    }
  });
});
