import type { StreamMessage } from '../bus/index.js';
import { parseEventData, type EntityModel, type EventData } from '../entities/index.js';
import type { WriteItem } from '../store/index.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Turns a delivery into what the store writes: maps it to the rows of every entity it feeds.
 * Data is parsed only when an entity needs it (the one place event data is parsed); the archive
 * takes the bytes as they came. An event that does not fit is kept on the item as a failure
 * (archived, marked failed, dead-lettered) naming the entity, the field and the value.
 */
export async function prepareItem(delivery: StreamMessage, entities: EntityModel | null): Promise<WriteItem> {
  const { envelope } = delivery;
  const base = { envelope, seq: delivery.seq, replay: delivery.replayId !== undefined };
  if (delivery.problem !== undefined) {
    return { ...base, envelope: { ...envelope, data: encoder.encode(JSON.stringify(decoder.decode(envelope.data))) }, entityType: null, rows: null, failure: delivery.problem };
  }
  const hint = envelope.entity;
  const routed = entities?.route(envelope.type, hint) ?? [];
  if (routed.length === 0) {
    if (hint !== undefined && entities !== null) return { ...base, entityType: null, rows: null, failure: `no entity is named "${hint}"` };
    if (envelope.source !== '/nats') return { ...base, entityType: null, rows: null };
  }
  let data: EventData;
  try {
    data = parseEventData(envelope.data);
  } catch {
    // Only a raw NATS publish can get here: keep its bytes as a JSON string so nothing is lost.
    const text = decoder.decode(envelope.data);
    const entityType = routed.map((e) => e.definition.name).join(',') || null;
    return { ...base, envelope: { ...envelope, data: encoder.encode(JSON.stringify(text)) }, entityType, rows: null, failure: 'the data is not valid JSON' };
  }
  if (entities === null || routed.length === 0) return { ...base, entityType: null, rows: null };
  const mapping = await entities.map({ id: envelope.id, type: envelope.type, source: envelope.source, time: envelope.time }, data, hint);
  if (!mapping.ok) return { ...base, entityType: mapping.entityType, rows: null, failure: mapping.failure };
  return { ...base, entityType: mapping.entityType, rows: mapping.rows };
}
