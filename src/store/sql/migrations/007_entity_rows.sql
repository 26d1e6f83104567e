-- Entities: the rows each event wrote (its status names them), and the keys delete events
-- removed, with the sequence that removed them, so an older event cannot bring a row back.
ALTER TABLE sluice.message_status ADD COLUMN IF NOT EXISTS rows jsonb;

CREATE TABLE IF NOT EXISTS sluice.entity_tombstones (
  table_name text NOT NULL,
  key jsonb NOT NULL,
  stream_seq bigint NOT NULL,
  message_id uuid NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, key)
);
