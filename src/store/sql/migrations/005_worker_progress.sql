-- What the workers have written, recorded in the same transactions as the rows: every event
-- their consumer acknowledged up to `written_through` is in this database. A database that
-- loses its last commits (the embedded one does not fsync) loses this record with them, and
-- at start a worker reads back from the bus what was acknowledged after it and writes it again.
CREATE TABLE IF NOT EXISTS sluice.worker_progress (
  consumer text PRIMARY KEY,
  written_through bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
