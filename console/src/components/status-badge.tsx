// The status of an event as a coloured word (the colour is never the only cue).

export function StatusBadge({ status }: { status: string | null | undefined }) {
  if (!status) return <span class="badge badge-unknown">…</span>;
  return <span class={`badge badge-${/^[a-z]+$/.test(status) ? status : 'unknown'}`}>{status}</span>;
}
