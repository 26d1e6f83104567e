// The hot path reads what nats.js does not promise: a consumed message's raw header block
// (`JsMsgImpl.msg`, `MsgImpl._rdata` and `_msg.hdr`), and a publish that takes any object with
// `encode()` as its headers. package.json pins the @nats-io versions these hold for; these
// tests fail when an upgrade moves them (then change src/bus/jetstream/wire.ts and
// ack-publisher.ts with it). That encodeEnvelopeHeaders gives MsgHdrs.encode()'s bytes is in
// wire.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type Msg, type MsgHdrs } from '@nats-io/nats-core';
import { MsgImpl, ProtocolHandler, type MsgArg } from '@nats-io/nats-core/internal';
import { decodeEnvelope, decodeEnvelopeFromBlock, encodeEnvelopeHeaders, rawHeaderBlock } from '../../src/bus/jetstream/wire.js';
import type { EventEnvelope } from '../../src/envelope/index.js';

const require = createRequire(import.meta.url);
const PINNED = ['@nats-io/jetstream', '@nats-io/nats-core', '@nats-io/transport-node'];

/** The installed version of a package (its own package.json, found next to its entry point). */
function installedVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!dir.endsWith(join('node_modules', ...name.split('/')))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** nats.js's own wrapping of a core message into a JetStream message (not exported by the package). */
async function toJsMsg(msg: Msg): Promise<JsMsg> {
  const jsmsgFile = join(dirname(require.resolve('@nats-io/jetstream')), 'jsmsg.js');
  const { toJsMsg: wrap } = (await import(pathToFileURL(jsmsgFile).href)) as { toJsMsg(m: Msg): JsMsg };
  return wrap(msg);
}

const envelope: EventEnvelope = {
  id: '0192c5a0-7a3e-7cc0-9a1b-3f2d4e5f6a7b',
  type: 'order.created',
  source: '/shop',
  time: '2026-11-25T06:00:00.000Z',
  receivedAt: '2026-11-25T06:00:00.123Z',
  data: new TextEncoder().encode('{"order_id":"o-1"}'),
  dataContentType: 'application/json',
  extensions: { tenant: 'acme' },
};

describe('nats.js internals the hot path reads', () => {
  it('package.json pins the @nats-io packages exactly, and those versions are installed', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of PINNED) {
      assert.match(pkg.dependencies[name] ?? '', /^\d+\.\d+\.\d+$/, `${name} is pinned to one version in package.json`);
      assert.equal(installedVersion(name), pkg.dependencies[name], `${name} installed is the pinned version`);
    }
  });

  it('a consumed message keeps its raw bytes in msg._rdata and its header length in msg._msg.hdr', async () => {
    const block = encodeEnvelopeHeaders(envelope);
    const raw = new Uint8Array(block.length + envelope.data.length);
    raw.set(block, 0);
    raw.set(envelope.data, block.length);
    const arg: MsgArg = { subject: new TextEncoder().encode('p.order.created'), sid: 1, hdr: block.length, size: raw.length };
    const core = new MsgImpl(arg, raw, { publish: () => undefined });
    const m = await toJsMsg(core);

    const found = rawHeaderBlock(m);
    assert.ok(found !== undefined, 'rawHeaderBlock finds the block where nats.js keeps it');
    assert.deepEqual(new Uint8Array(found), new Uint8Array(block));
    assert.deepEqual(new Uint8Array(m.data), envelope.data, 'the payload follows the header block');
    // What the worker reads from the block is what nats.js parses from the same message.
    assert.deepEqual(decodeEnvelopeFromBlock(found, m.data, m.subject, 'p'), decodeEnvelope(m.headers, m.data, m.subject, 'p'));
  });

  it('a publish writes what its headers object encode() returns, and calls nothing else on it', () => {
    const block = encodeEnvelopeHeaders(envelope);
    const calls: string[] = [];
    const onlyEncode = new Proxy({ encode: () => block }, {
      get(target, key) {
        calls.push(String(key));
        return Reflect.get(target, key);
      },
    });
    const protocol = new ProtocolHandler({ servers: ['127.0.0.1:4222'] }, { publish: () => undefined } as never);
    protocol.publish('p.order.created', envelope.data, { reply: 'r.1', headers: onlyEncode as unknown as MsgHdrs });
    assert.deepEqual(calls, ['encode']);
    const written = new TextDecoder().decode(protocol.outbound.drain());
    const total = block.length + envelope.data.length;
    assert.equal(written, `HPUB p.order.created r.1 ${block.length} ${total}\r\n${new TextDecoder().decode(block)}{"order_id":"o-1"}\r\n`);
  });

  it('MsgHdrs still has the encode() the header block is compared with', () => {
    assert.equal(typeof (natsHeaders() as unknown as { encode?: unknown }).encode, 'function');
  });
});
