import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter } from '../../src/client/retry-after.js';
import { UsageError, integerOption } from '../../src/cli/commands/client-args.js';
import { formatEventLine, formatLineError, formatReplayAccepted, formatReplayStatus, formatStatus } from '../../src/cli/commands/client-output.js';
import { filterFrom } from '../../src/cli/commands/events.js';
import { replayRequestFrom } from '../../src/cli/commands/replay.js';
import { chunkLines, parseSendInput } from '../../src/cli/commands/send-input.js';
import { parseTimeArg } from '../../src/cli/commands/time-arg.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

describe('time arguments', () => {
  it('reads durations back from now', () => {
    assert.equal(parseTimeArg('since', '15m', NOW), '2026-03-01T11:45:00.000Z');
    assert.equal(parseTimeArg('since', '2h', NOW), '2026-03-01T10:00:00.000Z');
    assert.equal(parseTimeArg('since', '7d', NOW), '2026-02-22T12:00:00.000Z');
    assert.equal(parseTimeArg('until', 'now', NOW), '2026-03-01T12:00:00.000Z');
  });

  it('normalises RFC 3339 times to UTC', () => {
    assert.equal(parseTimeArg('since', '2026-01-31T12:00:00+02:00', NOW), '2026-01-31T10:00:00.000Z');
    assert.equal(parseTimeArg('since', '2026-01-31', NOW), '2026-01-31T00:00:00.000Z');
  });

  it('refuses anything else, naming the option', () => {
    assert.throws(() => parseTimeArg('since', 'yesterday', NOW), (e: unknown) => e instanceof UsageError && e.message.includes('--since'));
    assert.throws(() => parseTimeArg('until', '5 minutes', NOW), UsageError);
    assert.throws(() => parseTimeArg('until', '2026-13-45', NOW), UsageError);
  });
});

describe('send input', () => {
  it('reads a pretty-printed document as one event', () => {
    assert.deepEqual(parseSendInput('{\n  "a": 1,\n  "b": [2]\n}\n', 'f'), { kind: 'single', data: { a: 1, b: [2] } });
  });

  it('reads several lines as NDJSON, keeping blank lines for line numbers', () => {
    assert.deepEqual(parseSendInput('{"a":1}\n\n{"a":2}\n\n', 'f'), { kind: 'lines', lines: ['{"a":1}', '', '{"a":2}'] });
  });

  it('refuses one line of broken JSON and empty input', () => {
    assert.throws(() => parseSendInput('{"a":', 'the data argument'), /the data argument is not valid JSON/);
    assert.throws(() => parseSendInput('  \n', 'stdin'), /stdin is empty/);
  });

  it('chunks lines by count and keeps their numbers', () => {
    const lines = Array.from({ length: 2500 }, (_, i) => `{"n":${i}}`);
    const chunks = chunkLines(lines);
    assert.deepEqual(chunks.map((c) => [c.firstLine, c.lineCount]), [[1, 1000], [1001, 1000], [2001, 500]]);
    assert.equal(chunks[1]?.text.split('\n')[0], '{"n":1000}');
  });

  it('chunks lines by size, and leaves out chunks of blank lines only', () => {
    const bySize = chunkLines(['"aaaa"', '"bbbb"', '"cccc"'], 10, 15);
    assert.deepEqual(bySize.map((c) => [c.firstLine, c.lineCount, c.text]), [[1, 2, '"aaaa"\n"bbbb"\n'], [3, 1, '"cccc"\n']]);
    const blanks = chunkLines(['"aaaa"', '', '', '"cccc"'], 1);
    assert.deepEqual(blanks.map((c) => [c.firstLine, c.lineCount]), [[1, 1], [4, 1]]);
  });
});

describe('options', () => {
  it('reads whole numbers in range and refuses others', () => {
    assert.equal(integerOption('limit', '50', 1, 1000), 50);
    assert.equal(integerOption('limit', undefined, 1, 1000), undefined);
    assert.throws(() => integerOption('limit', '0', 1, 1000), /--limit must be a whole number from 1 to 1000/);
    assert.throws(() => integerOption('limit', '5x', 1, 1000), UsageError);
  });

  it('builds a list filter from the options', () => {
    assert.deepEqual(filterFrom({ type: 'order.>', since: '1h' }, NOW), { type: 'order.>', since: '2026-03-01T11:00:00.000Z' });
    assert.deepEqual(filterFrom({ data: '{"customer":"c-42"}' }, NOW), { data: '{"customer":"c-42"}' });
    assert.throws(() => filterFrom({ data: "{customer:'c-42'}" }, NOW), /--data: not JSON/);
  });

  it('reads what to replay: one id, several ids, or a range', () => {
    assert.equal(replayRequestFrom(['a'], {}), 'a');
    assert.deepEqual(replayRequestFrom(['a', 'b'], {}), { ids: ['a', 'b'] });
    assert.deepEqual(replayRequestFrom([], { type: 'order.*', since: '1h' }, NOW), { type: 'order.*', since: '2026-03-01T11:00:00.000Z' });
    assert.throws(() => replayRequestFrom(['a'], { type: 'x' }), /not both/);
    assert.throws(() => replayRequestFrom([], { since: '1h' }), /--type/);
  });

  it('reads Retry-After as seconds or as a date', () => {
    assert.equal(parseRetryAfter('3'), 3);
    assert.equal(parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW), 5);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

describe('human output', () => {
  it('prints an event on one line with a short data excerpt', () => {
    const line = formatEventLine({ specversion: '1.0', id: 'id-1', source: '/s', type: 'order.created', time: '2026-03-01T12:00:00Z', data: { text: 'x'.repeat(300) } });
    assert.match(line, /^2026-03-01T12:00:00Z {2}order\.created {2}id-1 {2}\{"text":"x+…$/);
    assert.ok(line.length < 200);
  });

  it('prints a status as aligned rows with dashes for what is missing', () => {
    const text = formatStatus({
      message_id: 'id-1', status: 'accepted', type: 't', entity_type: null,
      received_at: '2026-03-01T12:00:00Z', processed_at: null, attempts: 0, error: null,
    });
    assert.equal(text.split('\n')[0], 'id:           id-1');
    assert.match(text, /^processed at: -$/m);
    assert.match(text, /^entity: {7}-$/m);
  });

  it('prints replays and rejected lines in one line each', () => {
    assert.equal(formatReplayAccepted({ replay_id: 'r', replayed: 1, unknown: [] }), 'replay r: 1 event to re-deliver');
    assert.equal(formatReplayStatus({ replay_id: 'r', status: 'done', matched: 4, published: 4 }), 'replay r done: 4 of 4 published');
    assert.equal(formatLineError(7, { code: 'invalid_json', message: 'bad' }), 'line 7: invalid_json: bad');
  });
});
