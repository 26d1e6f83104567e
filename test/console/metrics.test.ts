import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsHistory, counterRate, parsePrometheus, summarize } from '../../console/src/metrics.js';

const SCRAPE = `# HELP sluice_events_accepted_total Events accepted.
# TYPE sluice_events_accepted_total counter
sluice_events_accepted_total{endpoint="events_typed"} 120
sluice_events_accepted_total{endpoint="ingest_batch"} 80
sluice_events_persisted_total 150
sluice_events_failed_total 3
sluice_dead_letters_total 2
sluice_consumer_pending_messages{stream="EVENTS",consumer="sluice-worker"} 40
sluice_consumer_ack_pending_messages{stream="EVENTS",consumer="sluice-worker"} 7
sluice_consumer_pending_messages{stream="OTHER",consumer="audit"} 1
sluice_publish_duration_seconds_bucket{le="+Inf"} 200
sluice_events_rejected_total{endpoint="events_typed",code="invalid_json",note="a \\"quoted\\", comma"} 5 1700000000000
`;

describe('console metrics', () => {
  it('parses samples, labels with escapes, and timestamps', () => {
    const samples = parsePrometheus(SCRAPE);
    assert.equal(samples.length, 10);
    const rejected = samples.find((s) => s.name === 'sluice_events_rejected_total');
    assert.deepEqual(rejected?.labels, { endpoint: 'events_typed', code: 'invalid_json', note: 'a "quoted", comma' });
    assert.equal(rejected?.value, 5);
    assert.equal(samples.find((s) => s.labels.le === '+Inf')?.value, 200);
  });

  it('skips malformed lines instead of failing', () => {
    const samples = parsePrometheus('ok 1\nbroken{a="x" 2\n{} 3\nnovalue\nalso_ok 4\n');
    assert.deepEqual(samples.map((s) => s.name), ['ok', 'also_ok']);
  });

  it('sums counters over endpoints and joins consumer gauges per consumer', () => {
    const snap = summarize(parsePrometheus(SCRAPE), 1000);
    assert.equal(snap.accepted, 200);
    assert.equal(snap.persisted, 150);
    assert.equal(snap.failed, 3);
    assert.equal(snap.deadLetters, 2);
    assert.deepEqual(snap.consumers, [
      { stream: 'EVENTS', consumer: 'sluice-worker', pending: 40, ackPending: 7 },
      { stream: 'OTHER', consumer: 'audit', pending: 1, ackPending: 0 },
    ]);
  });

  it('reports a metric the process does not expose as unknown, not zero', () => {
    const snap = summarize(parsePrometheus('sluice_events_accepted_total{endpoint="x"} 5\n'), 0);
    assert.equal(snap.persisted, null);
    assert.equal(snap.deadLetters, null);
    assert.deepEqual(snap.consumers, []);
  });

  it('computes rates from successive scrapes and survives a counter reset', () => {
    assert.equal(counterRate(100, 160, 2), 30);
    assert.equal(counterRate(100, 10, 2), 5);
    assert.equal(counterRate(null, 10, 2), null);
    const history = new MetricsHistory(10_000);
    const at = (t: number, accepted: number, persisted: number) =>
      summarize(parsePrometheus(`sluice_events_accepted_total{endpoint="a"} ${accepted}\nsluice_events_persisted_total ${persisted}\n`), t);
    assert.equal(history.push(at(0, 0, 0)), null);
    const point = history.push(at(2000, 50, 20));
    assert.equal(point?.inPerSec, 25);
    assert.equal(point?.outPerSec, 10);
    assert.equal(point?.lag, null);
    history.push(at(4000, 60, 40));
    history.push(at(13_000, 70, 50));
    // Points older than the window are dropped.
    assert.deepEqual(history.points.map((p) => p.at), [4000, 13_000]);
  });
});
