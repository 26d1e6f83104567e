-- Sluice's own tables. The archive is partitioned by time of receipt so old days can be
-- dropped in one statement; partitions are created ahead by the workers.
CREATE SCHEMA IF NOT EXISTS sluice;

CREATE TABLE IF NOT EXISTS sluice.events (
  id uuid NOT NULL,
  type text NOT NULL,
  source text NOT NULL,
  subject text,
  time timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  stream_seq bigint NOT NULL,
  specversion text NOT NULL DEFAULT '1.0',
  datacontenttype text NOT NULL DEFAULT 'application/json',
  data jsonb,
  origin_id text,
  entity_type text,
  traceparent text,
  extensions jsonb,
  -- A partitioned table's key must hold the partition column; sluice.message_status keeps ids unique.
  PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);

CREATE INDEX IF NOT EXISTS events_stream_seq_idx ON sluice.events (stream_seq);
CREATE INDEX IF NOT EXISTS events_type_seq_idx ON sluice.events (type, stream_seq);
CREATE INDEX IF NOT EXISTS events_source_seq_idx ON sluice.events (source, stream_seq);

CREATE TABLE IF NOT EXISTS sluice.message_status (
  message_id uuid PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('accepted', 'processing', 'persisted', 'failed')),
  type text NOT NULL,
  entity_type text,
  received_at timestamptz NOT NULL,
  processed_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  error text,
  stream_seq bigint
);

CREATE INDEX IF NOT EXISTS message_status_unsettled_idx ON sluice.message_status (status) WHERE status IN ('processing', 'failed');
