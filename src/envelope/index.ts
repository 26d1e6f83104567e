export type { EventEnvelope, SequencedEnvelope } from './envelope.js';
export { DATA_CONTENT_TYPE, DEFAULT_SOURCE, UNLABELLED_CONTENT_TYPE } from './envelope.js';
export {
  MAX_EVENT_TYPE_LENGTH,
  deadLetterSubjectFor,
  eventTypeProblem,
  subjectFor,
  typeMatches,
  typePatternsRegExp,
  typePatternProblem,
} from './event-type.js';
export { idFromCloudEvent, idFromIdempotencyKey, isEventId, newEventId } from './ids.js';
export { MAX_JSON_DEPTH, MAX_NUMERIC_FRACTION_DIGITS, MAX_NUMERIC_INTEGER_DIGITS, jsonTextProblem, numberProblem } from './json-text.js';
export { eventTimeProblem, eventTimeUtc } from './event-time.js';
export { MAX_SOURCE_BYTES, attributeTextProblem, producerAttributesProblem, type ProducerAttributes } from './attribute-text.js';
export { checkJsonBytes, checkJsonText } from './json-data.js';
export { isJsonContentType, isJsonEssence, isTextEssence, mediaTypeEssence, mediaTypeProblem } from './media-type.js';
export { buildEnvelope, isRfc3339, type EnvelopeInput } from './build-envelope.js';
export { binaryAttributes, type BinaryAttributes, type HeaderRecord } from './binary-mode.js';
export { readStructuredBatch, readStructuredEvent, type StructuredContext } from './structured-mode.js';
export { dataAsJson, dataView, formFields, type DataView } from './data-view.js';
export { EnvelopeError, type EnvelopeErrorCode } from './envelope-error.js';
export { latin1Text, utf8Text, writeLatin1, writeUtf8 } from './buffer-text.js';
