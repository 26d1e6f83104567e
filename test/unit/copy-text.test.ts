import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CopyTextWriter, copyValue } from '../../src/store/queries/copy-text.js';

const encoder = new TextEncoder();

test('bytes written as UTF-8 are escaped exactly as the same text is', () => {
  const samples = ['', 'plain', '{"a":"line\\nbreak","b":"tab\\t","c":"back\\\\slash"}', 'raw\ttab\nnew\rret\\', 'ünïcødé ✓ 🚀', '\\\\\\'];
  const writer = new CopyTextWriter();
  let expected = '';
  for (const text of samples) {
    writer.utf8(encoder.encode(text)).next();
    writer.value(text).next(true);
    expected += `${copyValue(text)}\t${copyValue(text)}\n`;
  }
  writer.value(null).next().value(42).next(true);
  expected += '\\N\t42\n';
  assert.equal(writer.bytes().toString('utf8'), expected);
});

test('the writer grows past its first buffer', () => {
  const writer = new CopyTextWriter();
  const big = 'x\\'.repeat(200_000);
  writer.utf8(encoder.encode(big)).next(true);
  writer.value(big).next(true);
  const line = `${copyValue(big)}\n`;
  assert.equal(writer.bytes().toString('utf8'), line + line);
});
