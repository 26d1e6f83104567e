import type { StreamMessage } from '../bus/index.js';
import { dataAsJson } from '../envelope/index.js';
import { parseEventData, type EntityModel, type EventData } from '../entities/index.js';
import type { WriteItem } from '../store/index.js';

/**
 * Turns a delivery into what the store writes: maps it to the rows of every entity it feeds.
 * Data is parsed only when an entity needs it (the one place event data is parsed); the archive
 * takes the bytes as they came. An event that does not fit is kept on the item as a failure
 * (archived, marked failed, dead-lettered) naming the entity, the field and the value.
 */
export function prepareItem(delivery: StreamMessage, entities: EntityModel | null): WriteItem | Promise<WriteItem> {
  const { envelope } = delivery;
  const base = { envelope, seq: delivery.seq, replay: delivery.replayId !== undefined };
  if (delivery.problem !== undefined) {
    return { ...base, entityType: null, rows: null, failure: delivery.problem };
  }
  const hint = envelope.entity;
  const routed = entities?.route(envelope.type, hint) ?? [];
  if (routed.length === 0) {
    if (hint !== undefined && entities !== null) return { ...base, entityType: null, rows: null, failure: `no entity is named "${hint}"` };
    // Archive only: the bytes are stored as they came (data labelled JSON that is not JSON, from
    // a raw NATS publish, is refused by the archive and settled as failed with its bytes kept).
    return { ...base, entityType: null, rows: null };
  }
  const entityType = routed.map((e) => e.definition.name).join(',');
  // Entities read JSON data, and a form post as an object of its fields; the event's own bytes are never replaced.
  const json = dataAsJson(envelope.data, envelope.dataContentType);
  if (json === null) return { ...base, entityType, rows: null, failure: `${entityType} reads JSON data; this event's data is ${envelope.dataContentType}` };
  let data: EventData;
  try {
    data = parseEventData(json);
  } catch {
    return { ...base, entityType, rows: null, failure: `${entityType} reads JSON data; this event's data is labelled ${envelope.dataContentType} but is not valid JSON` };
  }
  if (entities === null) return { ...base, entityType: null, rows: null };
  return entities.map({ id: envelope.id, type: envelope.type, source: envelope.source, time: envelope.time }, data, hint).then((mapping) =>
    mapping.ok ? { ...base, entityType: mapping.entityType, rows: mapping.rows } : { ...base, entityType: mapping.entityType, rows: null, failure: mapping.failure },
  );
}

/**
 * Every delivery's item, in order. Only an event that feeds an entity is mapped asynchronously;
 * the others are not awaited (a promise an event was the worker's second largest garbage).
 */
export async function prepareItems(deliveries: readonly StreamMessage[], entities: EntityModel | null): Promise<WriteItem[]> {
  const items: WriteItem[] = new Array(deliveries.length);
  for (let i = 0; i < deliveries.length; i++) {
    const item = prepareItem(deliveries[i]!, entities);
    items[i] = item instanceof Promise ? await item : item;
  }
  return items;
}
