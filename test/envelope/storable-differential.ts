import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeEnvelopeFromBlock, encodeEnvelopeHeaders } from '../../src/bus/jetstream/wire.js';
import {
  producerAttributesProblem,
  eventTimeProblem,
  eventTimeUtc,
  jsonTextProblem,
  newEventId,
  numberProblem,
  type EventEnvelope,
} from '../../src/envelope/index.js';
import type { StorePort } from '../../src/store/index.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { attributeText, deepJsonText, jsonText, numberText, timeText } from './storable-arbitraries.js';

/** An exponent PostgreSQL 15's numeric refuses before it looks at the digits (INT_MAX/2 or beyond). */
function beyondPg15Exponent(number: string): boolean {
  const exponent = /[eE][+-]?(\d+)$/.exec(number)?.[1];
  return exponent !== undefined && BigInt(exponent) >= 1_073_741_823n;
}

export interface DifferentialTarget {
  readonly store: StorePort;
  readonly sql: SqlClient;
  cleanup(): Promise<void>;
}

const encoder = new TextEncoder();
/** Runs per property: each run writes one event through the store's real insert (COPY on PostgreSQL). */
const RUNS = Number(process.env.SLUICE_PROPERTY_RUNS ?? 150);

/**
 * Differential: what the gateway's checks accept must be stored by the database unchanged
 * (jsonb equal to what PostgreSQL reads from the text as sent, text equal, the same instant),
 * written the way a worker writes it. Numbers are held to "exactly": the check refuses a
 * number if and only if PostgreSQL does.
 */
export function storableDifferential(database: string, open: () => Promise<DifferentialTarget>): void {
  describe(`what the gateway's checks accept, ${database} stores unchanged`, () => {
    let target: DifferentialTarget;
    let seq = 0;
    /** How many generated values the checks accepted (and were stored): a property that stores nothing proves nothing. */
    const accepted = { documents: 0, times: 0, attributes: 0 };
    const enough = (what: keyof typeof accepted) => assert.ok(accepted[what] >= RUNS / 5, `only ${accepted[what]} of ${RUNS} generated ${what} were accepted and stored`);
    before(async () => {
      target = await open();
      await target.store.migrate();
    });
    after(async () => {
      await target?.cleanup();
    });

    const envelope = (fields: Partial<EventEnvelope> & { dataText?: string }): EventEnvelope => {
      const now = new Date().toISOString();
      const { dataText = '{}', ...rest } = fields;
      return { id: newEventId(), type: 'edge.diff', source: '/diff', time: now, receivedAt: now, data: encoder.encode(dataText), dataContentType: 'application/json', ...rest };
    };
    const write = async (e: EventEnvelope) => {
      const outcomes = await target.store.writeBatch([{ envelope: e, seq: ++seq, replay: false, entityType: null, rows: null }]);
      assert.deepEqual(outcomes, [{ duplicate: false }]);
      const stored = await target.store.getEvent(e.id);
      assert.ok(stored !== null, 'the event is archived');
      return stored;
    };
    const pgTakes = async (text: string, cast: string): Promise<boolean> =>
      target.sql.query(`SELECT $1::text::${cast} IS NOT NULL AS ok`, [text]).then(
        () => true,
        () => false,
      );

    it('refuses a JSON number exactly when numeric does', async () => {
      await fc.assert(
        fc.asyncProperty(numberText, async (n) => {
          const refused = numberProblem(n.replace(/^-/, '')) !== null;
          const takes = await pgTakes(n, 'jsonb');
          // PGlite is a newer PostgreSQL that takes exponents of 2^30-1 and beyond with a zero
          // mantissa (0e1073741823); PostgreSQL 15 refuses them outright, and the check keeps to 15.
          if (refused && takes && database === 'PGlite' && beyondPg15Exponent(n)) return;
          assert.equal(refused, !takes, `${n.slice(0, 60)}… (${n.length} characters): check ${refused ? 'refuses' : 'accepts'}`);
        }),
        { numRuns: RUNS * 2 },
      );
    });

    it('stores every JSON document the check accepts, equal to what PostgreSQL reads from the text sent', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof({ weight: 9, arbitrary: jsonText }, { weight: 1, arbitrary: deepJsonText }), async (text) => {
          if (jsonTextProblem(text) !== null) return;
          accepted.documents++;
          const e = envelope({ dataText: text });
          const stored = await write(e);
          assert.equal(Buffer.from(stored.data).toString('utf8'), text, 'the data comes back byte for byte');
          const same = await target.sql.query<{ same: boolean }>('SELECT data = $2::text::jsonb AS same FROM sluice.events WHERE id = $1', [e.id, text]);
          assert.equal(same.rows[0]?.same, true, 'jsonb equal to the text as sent');
        }),
        { numRuns: RUNS },
      );
      enough('documents');
    });

    it('stores every event time the check accepts as the same instant', async () => {
      await fc.assert(
        fc.asyncProperty(timeText, async (time) => {
          if (eventTimeProblem(time) !== null) return;
          accepted.times++;
          const utc = eventTimeUtc(time);
          const stored = await write(envelope({ time: utc }));
          assert.equal(Date.parse(stored.time), Date.parse(utc), `${time} → ${utc} → ${stored.time}`);
          // The offset was applied as PostgreSQL applies it to the text as sent (to the millisecond;
          // PostgreSQL reads offsets up to ±15:59 and rounds past microseconds, so only those are compared).
          const offsetHours = Number(/[+-](\d{2}):\d{2}$/.exec(time)?.[1] ?? 0);
          if ((/\.(\d+)/.exec(time)?.[1]?.length ?? 0) <= 6 && offsetHours <= 15) {
            const read = await target.sql.query<{ ms: string }>('SELECT floor(extract(epoch FROM $1::text::timestamptz) * 1000)::text AS ms', [time]);
            assert.equal(Number(read.rows[0]!.ms), Date.parse(utc), time);
          }
        }),
        { numRuns: RUNS },
      );
      enough('times');
    });

    it('carries every attribute value the check accepts through NATS headers and text columns unchanged', async () => {
      await fc.assert(
        fc.asyncProperty(fc.record({ source: attributeText, subject: attributeText, originId: attributeText, ext: attributeText }), async (a) => {
          const e = envelope({ source: a.source, subject: a.subject, originId: a.originId, extensions: { edge: a.ext } });
          if (producerAttributesProblem(e) !== null) return;
          accepted.attributes++;
          const decoded = decodeEnvelopeFromBlock(encodeEnvelopeHeaders(e), e.data, 'events.edge.diff', 'events');
          assert.ok(decoded !== null);
          for (const name of ['source', 'subject', 'originId'] as const) assert.equal(decoded.envelope[name], e[name], `header ${name}`);
          assert.deepEqual(decoded.envelope.extensions, e.extensions);
          const stored = await write(e);
          assert.equal(stored.source, a.source);
          assert.equal(stored.subject, a.subject);
          assert.equal(stored.originId, a.originId);
          assert.deepEqual(stored.extensions, { edge: a.ext });
        }),
        { numRuns: RUNS },
      );
      enough('attributes');
    });
  });
}
