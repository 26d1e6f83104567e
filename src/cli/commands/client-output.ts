import type { ApiErrorDetail, MessageStatus, ReplayAccepted, ReplayStatus, StoredEvent } from '../../client/index.js';

/** Longest data excerpt shown on one event line. */
const DATA_EXCERPT = 120;

/** One event on one line: time, type, id, then a short excerpt of its data. */
export function formatEventLine(event: StoredEvent): string {
  const data = event.data === undefined ? '' : excerpt(JSON.stringify(event.data), DATA_EXCERPT);
  return [event.time, event.type, event.id, data].filter((part) => part !== '').join('  ');
}

/** A message status as aligned `label: value` lines. */
export function formatStatus(status: MessageStatus): string {
  return table([
    ['id', status.message_id],
    ['status', status.status],
    ['type', status.type],
    ['entity', status.entity_type ?? '-'],
    ['received at', status.received_at],
    ['processed at', status.processed_at ?? '-'],
    ['attempts', String(status.attempts)],
    ['error', status.error ?? '-'],
  ]);
}

/** The answer of a replay request, in one sentence. */
export function formatReplayAccepted(accepted: ReplayAccepted): string {
  const events = accepted.replayed === 1 ? '1 event' : `${accepted.replayed} events`;
  return `replay ${accepted.replay_id}: ${events} to re-deliver`;
}

/** Progress of a replay, in one sentence. */
export function formatReplayStatus(status: ReplayStatus): string {
  return `replay ${status.replay_id} ${status.status}: ${status.published} of ${status.matched} published`;
}

/** A rejected batch line: `line N: code: message`. */
export function formatLineError(line: number, error: ApiErrorDetail): string {
  return `line ${line}: ${error.code}: ${error.message}`;
}

/** Aligns `label: value` rows. */
export function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`).join('\n');
}

function excerpt(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
