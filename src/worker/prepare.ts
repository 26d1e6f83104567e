import type { StreamMessage } from '../bus/index.js';
import type { EntityModel } from '../entities/index.js';
import { dataAsJson } from '../envelope/index.js';
import type { WriteItem } from '../store/index.js';

const decoder = new TextDecoder();

/**
 * Turns a delivery into what the store writes: routes it to its entity and validates the
 * data there. Data is parsed only when an entity needs it (JSON as is, a form post as an
 * object of strings); the archive takes the bytes as they came. A validation failure is kept
 * on the item (archived, marked failed, dead-lettered).
 */
export function prepareItem(delivery: StreamMessage, entities: EntityModel | null): WriteItem {
  const { envelope } = delivery;
  const replay = delivery.replayId !== undefined;
  if (delivery.problem !== undefined) {
    // The bytes are archived as they came; the queryable jsonb stays empty.
    return { envelope, seq: delivery.seq, replay, entity: null, data: null, dataIsJson: false, failure: delivery.problem };
  }
  const entity = entities?.route(envelope.type, envelope.entity) ?? null;
  if (entity === null) {
    if (envelope.entity !== undefined && entities !== null) {
      return { envelope, seq: delivery.seq, replay, entity: null, data: null, failure: `no entity is named "${envelope.entity}"` };
    }
    if (envelope.source !== '/nats') return { envelope, seq: delivery.seq, replay, entity: null, data: null };
  }
  const json = dataAsJson(envelope.data, envelope.dataContentType);
  if (json === null) {
    if (entity === null) return { envelope, seq: delivery.seq, replay, entity: null, data: null };
    return { envelope, seq: delivery.seq, replay, entity, data: null, failure: `${entity.definition.name}: data of type ${envelope.dataContentType} cannot be mapped to rows; send JSON or a form post` };
  }
  let data: unknown;
  try {
    data = JSON.parse(decoder.decode(json));
  } catch {
    // Only a plain NATS publish can get here: its bytes are archived as they came, the event failed.
    return { envelope, seq: delivery.seq, replay, entity, data: null, dataIsJson: false, failure: 'the data is not valid JSON' };
  }
  if (entity === null) return { envelope, seq: delivery.seq, replay, entity: null, data };
  const problem = entity.validate(data);
  if (problem !== null) return { envelope, seq: delivery.seq, replay, entity, data, failure: `${entity.definition.name}: ${problem}` };
  return { envelope, seq: delivery.seq, replay, entity, data };
}
