export type { EventEnvelope, SequencedEnvelope } from './envelope.js';
export { DATA_CONTENT_TYPE, DEFAULT_SOURCE } from './envelope.js';
export {
  MAX_EVENT_TYPE_LENGTH,
  deadLetterSubjectFor,
  eventTypeProblem,
  subjectFor,
  typeMatches,
  typePatternProblem,
} from './event-type.js';
export { idFromCloudEvent, idFromIdempotencyKey, isEventId, newEventId } from './ids.js';
export { MAX_JSON_DEPTH, jsonTextProblem } from './json-text.js';
