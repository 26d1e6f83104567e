import type { StreamMessage } from '../bus/index.js';
import type { EntityModel } from '../entities/index.js';
import type { WriteItem } from '../store/index.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Turns a delivery into what the store writes: routes it to its entity and validates the
 * data there. Data is parsed only when an entity needs it; the archive takes the JSON bytes
 * as they came. A validation failure is kept on the item (archived, marked failed, dead-lettered).
 */
export function prepareItem(delivery: StreamMessage, entities: EntityModel | null): WriteItem {
  const { envelope } = delivery;
  const replay = delivery.replayId !== undefined;
  if (delivery.problem !== undefined) {
    return { envelope: { ...envelope, data: encoder.encode(JSON.stringify(decoder.decode(envelope.data))) }, seq: delivery.seq, replay, entity: null, data: null, failure: delivery.problem };
  }
  const entity = entities?.route(envelope.type, envelope.entity) ?? null;
  if (entity === null) {
    if (envelope.entity !== undefined && entities !== null) {
      return { envelope, seq: delivery.seq, replay, entity: null, data: null, failure: `no entity is named "${envelope.entity}"` };
    }
    if (envelope.source !== '/nats') return { envelope, seq: delivery.seq, replay, entity: null, data: null };
  }
  const text = decoder.decode(envelope.data);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Only a raw NATS publish can get here: keep its bytes as a JSON string so nothing is lost.
    return {
      envelope: { ...envelope, data: encoder.encode(JSON.stringify(text)) },
      seq: delivery.seq,
      replay,
      entity,
      data: null,
      failure: 'the data is not valid JSON',
    };
  }
  if (entity === null) return { envelope, seq: delivery.seq, replay, entity: null, data };
  const problem = entity.validate(data);
  if (problem !== null) return { envelope, seq: delivery.seq, replay, entity, data, failure: `${entity.definition.name}: ${problem}` };
  return { envelope, seq: delivery.seq, replay, entity, data };
}
