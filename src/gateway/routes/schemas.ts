/** Response and error schemas shared by routes (compiled once into serialisers; also the OpenAPI document). */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

export const acceptedEventSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    type: { type: 'string' },
    status: { type: 'string', enum: ['accepted'] },
    time: { type: 'string' },
    seq: { type: 'integer' },
  },
  required: ['id', 'type', 'status', 'time', 'seq'],
} as const;

export const acceptedMessageSchema = {
  type: 'object',
  properties: {
    message_id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['accepted'] },
    timestamp: { type: 'string' },
  },
  required: ['message_id', 'status', 'timestamp'],
} as const;

export const lineResultSchema = {
  type: 'object',
  properties: {
    line: { type: 'integer' },
    message_id: { type: 'string' },
    error: errorSchema.properties.error,
  },
  required: ['line'],
} as const;

export const batchResultSchema = {
  type: 'object',
  properties: {
    accepted: { type: 'integer' },
    rejected: { type: 'integer' },
    results: { type: 'array', items: lineResultSchema },
  },
  required: ['accepted', 'rejected', 'results'],
} as const;

export const statusSchema = {
  type: 'object',
  properties: {
    message_id: { type: 'string' },
    status: { type: 'string', enum: ['accepted', 'processing', 'persisted', 'failed'] },
    type: { type: 'string' },
    entity_type: { type: ['string', 'null'] },
    received_at: { type: 'string' },
    processed_at: { type: ['string', 'null'] },
    attempts: { type: 'integer' },
    error: { type: ['string', 'null'] },
    rows: {
      type: 'array',
      description: 'The entity rows the event wrote or deleted, by table and key',
      items: {
        type: 'object',
        properties: { table: { type: 'string' }, key: { type: 'object', additionalProperties: true }, deleted: { type: 'boolean' } },
        required: ['table', 'key'],
      },
    },
  },
  required: ['message_id', 'status', 'type', 'entity_type', 'received_at', 'processed_at', 'attempts', 'error', 'rows'],
} as const;

export const idParamsSchema = {
  type: 'object',
  properties: { id: { type: 'string' } },
  required: ['id'],
} as const;
