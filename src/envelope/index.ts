export type { EventEnvelope, SequencedEnvelope } from './envelope.js';
export { DATA_CONTENT_TYPE, DEFAULT_SOURCE } from './envelope.js';
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
export { MAX_SOURCE_BYTES, attributeTextProblem, envelopeAttributesProblem, type EnvelopeAttributes } from './attribute-text.js';
