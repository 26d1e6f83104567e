import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DATA_CONTENT_TYPE, binaryAttributes, buildEnvelope, type EventEnvelope } from '../../envelope/index.js';
import { SluiceError } from '../../errors/index.js';
import { dataContentTypeOf, requireMediaType } from '../content-type.js';
import { toSluiceError } from '../error-reply.js';
import type { BatchIngestOptions } from '../ingest-options.js';
import { publishBatch } from '../publish-batch.js';
import { checkKeyAllowsType } from '../keys/index.js';
import { acceptedMessageSchema, batchResultSchema, errorSchema } from './schemas.js';

const DEFAULT_TYPE = 'ingest.message';

interface IngestQuery {
  entity?: string;
  type?: string;
}

const ingestQuerySchema = {
  type: 'object',
  properties: {
    entity: { type: 'string', description: 'entity name: routes every event to that entity whatever its type' },
    type: { type: 'string', description: `event type (default ${DEFAULT_TYPE})` },
  },
} as const;

function hints(request: FastifyRequest<{ Querystring: IngestQuery }>): { type: string; entity?: string } {
  const header = request.headers['x-entity-type'];
  const entity = request.query.entity ?? (typeof header === 'string' && header !== '' ? header : undefined);
  if (entity !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,199}$/.test(entity)) {
    throw new SluiceError('invalid_parameter', `entity "${entity.slice(0, 60)}" is not an entity name (letters, digits, "_")`);
  }
  return { type: request.query.type ?? DEFAULT_TYPE, ...(entity !== undefined ? { entity } : {}) };
}

/** POST /ingest/message and POST /ingest/batch (seed 002/004's API). */
export function registerMessageIngest(app: FastifyInstance, { publisher, metrics, maxBatchEvents }: BatchIngestOptions): void {
  app.post<{ Querystring: IngestQuery }>(
    '/ingest/message',
    {
      schema: {
        summary: 'Send one message, of any content type (JSON is checked as JSON), kept byte for byte; entity hint from ?entity= or X-Entity-Type',
        tags: ['ingest'],
        consumes: ['*/*'],
        querystring: ingestQuerySchema,
        response: { 202: acceptedMessageSchema },
      },
    },
    async (request, reply) => {
      const { type, entity } = hints(request);
      const { specversion: _specversion, ceType: _ceType, ...attributes } = binaryAttributes(request.headers);
      const envelope = buildEnvelope({
        ...attributes,
        type,
        data: request.body as Buffer,
        dataContentType: dataContentTypeOf(request),
        dataLabel: 'the body',
        receivedAt: new Date().toISOString(),
        ...(entity !== undefined ? { entity } : {}),
      });
      checkKeyAllowsType(request, type);
      await publisher.publish({ envelope });
      metrics.eventsAccepted.inc({ endpoint: '/ingest/message' });
      return reply.code(202).send({ message_id: envelope.id, status: 'accepted', timestamp: envelope.receivedAt });
    },
  );

  app.post<{ Querystring: IngestQuery }>(
    '/ingest/batch',
    {
      schema: {
        summary: 'Send newline-delimited JSON messages; each line is judged on its own',
        tags: ['ingest'],
        querystring: ingestQuerySchema,
        // A batch refused whole (empty, not UTF-8, a bad ?type=) answers the plain error shape.
        response: { 202: batchResultSchema, 400: { anyOf: [batchResultSchema, errorSchema] }, 503: { anyOf: [batchResultSchema, errorSchema] } },
      },
    },
    async (request, reply) => {
      requireMediaType(request, ['application/x-ndjson', 'text/plain'], 'send newline-delimited JSON as application/x-ndjson or text/plain');
      const { type, entity } = hints(request);
      // Every line has the ?type= of the request: a type the key may not send refuses the batch whole.
      checkKeyAllowsType(request, type);
      const { specversion: _specversion, ceType: _ceType, idempotencyKey, cloudEventId, ...shared } = binaryAttributes(request.headers);
      const body = request.body as Buffer;
      if (!isUtf8(body)) throw new SluiceError('invalid_json', 'the body is not valid UTF-8');
      // Lines are found as byte ranges of the body: each event's data is a view of the body's
      // bytes rather than a copy of its own (one allocation per event less under batch load).
      const ranges = lineRanges(body);
      let nonEmpty = 0;
      for (let k = 0; k < ranges.length; k += 3) if (ranges[k + 1]! > ranges[k]!) nonEmpty++;
      if (nonEmpty === 0) throw new SluiceError('empty_batch', 'the batch has no lines; send one JSON document per line');
      if (nonEmpty > maxBatchEvents) {
        throw new SluiceError('batch_too_large', `the batch has ${nonEmpty} lines; MAX_BATCH_EVENTS allows ${maxBatchEvents}`);
      }
      const receivedAt = new Date().toISOString();
      const lines: number[] = [];
      const built: Array<EventEnvelope | SluiceError> = [];
      for (let k = 0; k < ranges.length; k += 3) {
        const start = ranges[k]!;
        const end = ranges[k + 1]!;
        if (end === start) continue;
        const i = ranges[k + 2]!;
        lines.push(i + 1);
        try {
          built.push(
            buildEnvelope({
              ...shared,
              type,
              data: body.subarray(start, end),
              // Each line of an NDJSON batch is a JSON document.
              dataContentType: DATA_CONTENT_TYPE,
              receivedAt,
              label: `line ${i + 1}`,
              dataLabel: `line ${i + 1}`,
              ...(entity !== undefined ? { entity } : {}),
              ...(idempotencyKey !== undefined ? { idempotencyKey: `${idempotencyKey}/${i + 1}` } : {}),
              // A ce-id names the request, not each line: line n is `ID/n`, as an Idempotency-Key's lines are (one id for every line would store only the first).
              ...(cloudEventId !== undefined ? { cloudEventId: `${cloudEventId}/${i + 1}` } : {}),
            }),
          );
        } catch (error) {
          built.push(toSluiceError(error));
        }
      }
      const outcome = await publishBatch(publisher, built);
      const results: Array<{ line: number; message_id?: string; error?: { code: string; message: string } }> = outcome.entries.map((e, k) =>
        'ack' in e ? { line: lines[k]!, message_id: e.envelope.id } : { line: lines[k]!, error: { code: e.error.code, message: e.error.message } },
      );
      const accepted = outcome.accepted;
      const rejected = results.length - accepted;
      metrics.batchEvents.observe({ endpoint: '/ingest/batch' }, results.length);
      if (accepted > 0) metrics.eventsAccepted.inc({ endpoint: '/ingest/batch' }, accepted);
      for (const r of results) if (r.error !== undefined) metrics.eventsRejected.inc({ endpoint: '/ingest/batch', code: r.error.code });
      if (outcome.status === 503) reply.header('retry-after', '1');
      return reply.code(outcome.status).send({ accepted, rejected, results });
    },
  );
}

/**
 * The lines of an NDJSON body as [start, end, index] triples of byte offsets, without the
 * line's "\r" and with blank (whitespace-only) lines given as empty ranges. Splitting the
 * bytes at 0x0A is splitting the text at "\n": in UTF-8 that byte is never part of another
 * character.
 */
function lineRanges(body: Buffer): number[] {
  const ranges: number[] = [];
  let start = 0;
  for (let index = 0; start <= body.length; index++) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    const next = end + 1;
    if (end > start && body[end - 1] === 0x0d) end--;
    ranges.push(start, isBlank(body, start, end) ? start : end, index);
    start = next;
  }
  return ranges;
}

/** Is a line whitespace only (as `String.prototype.trim` sees it)? Decodes only a line that starts with non-ASCII. */
function isBlank(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = body[i]!;
    if (b === 0x20 || (b >= 0x09 && b <= 0x0d)) continue;
    if (b < 0x80) return false;
    return body.toString('utf8', start, end).trim() === '';
  }
  return true;
}
