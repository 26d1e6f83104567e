import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/metrics/index.js';

describe('requests counted by key', () => {
  it('reach sluice_key_requests_total when it is read, each counted once however often it is read', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const value = async (key: string, route: string, status: string): Promise<number | undefined> =>
      (await metrics.keyRequests.get()).values.find((v) => v.labels.key === key && v.labels.route === route && v.labels.status === status)?.value;
    for (let i = 0; i < 3; i++) metrics.countKeyRequest('shop', '/events/:type', 202);
    metrics.countKeyRequest('shop', '/events/:type', 429);
    metrics.countKeyRequest('ops', '/events', 200);
    assert.equal(await value('shop', '/events/:type', '202'), 3);
    assert.equal(await value('shop', '/events/:type', '202'), 3, 'read twice');
    metrics.countKeyRequest('shop', '/events/:type', 202);
    const text = await metrics.registry.metrics();
    assert.match(text, /sluice_key_requests_total\{key="shop",route="\/events\/:type",status="202"\} 4/);
    assert.match(text, /sluice_key_requests_total\{key="shop",route="\/events\/:type",status="429"\} 1/);
    assert.match(text, /sluice_key_requests_total\{key="ops",route="\/events",status="200"\} 1/);
  });
});
