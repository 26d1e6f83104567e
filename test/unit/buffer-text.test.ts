// Text in and out of Buffers goes through Buffer's per-encoding methods when Node has them, else
// through the documented write/toString: both ways must give the same bytes and the same text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { hasEncodingMethods, viaDocumentedMethods, viaEncodingMethods, type BufferText } from '../../src/envelope/buffer-text.js';
import { latin1Text, utf8Text, writeLatin1, writeUtf8 } from '../../src/envelope/index.js';

const ways: Array<[string, BufferText]> = [['documented write/toString', viaDocumentedMethods]];
if (hasEncodingMethods) ways.push(['per-encoding methods', viaEncodingMethods]);

for (const [name, way] of ways) {
  test(`${name}: UTF-8 written at an offset reads back, and a character that does not fit is left out whole`, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.nat(8), fc.nat(200), (text, offset, room) => {
        const buffer = Buffer.alloc(offset + room, 0xee);
        const written = way.writeUtf8(buffer, text, offset);
        const expected = Buffer.alloc(offset + room, 0xee);
        assert.equal(written, expected.write(text, offset, room, 'utf8'));
        assert.deepEqual(buffer, expected);
        assert.equal(way.utf8Text(buffer, offset, offset + written), expected.toString('utf8', offset, offset + written));
        if (written === Buffer.byteLength(text)) assert.equal(way.utf8Text(buffer, offset, offset + written), text);
      }),
    );
  });

  test(`${name}: latin1 text (an event id) written at an offset reads back`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.uuid(), fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)), maxLength: 40 })), fc.nat(8), (text, offset) => {
        const buffer = Buffer.alloc(offset + text.length + 3);
        assert.equal(way.writeLatin1(buffer, text, offset), text.length);
        assert.deepEqual(buffer.subarray(offset, offset + text.length), Buffer.from(text, 'latin1'));
        assert.equal(way.latin1Text(buffer, offset, offset + text.length), text);
      }),
    );
  });
}

test('the exported operations are the per-encoding methods when this Node has them, else the documented ones', () => {
  const chosen = hasEncodingMethods ? viaEncodingMethods : viaDocumentedMethods;
  assert.deepEqual([writeLatin1, writeUtf8, latin1Text, utf8Text], [chosen.writeLatin1, chosen.writeUtf8, chosen.latin1Text, chosen.utf8Text]);
});
