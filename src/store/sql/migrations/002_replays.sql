-- Replays run in the background; their progress is visible from any gateway.
CREATE TABLE IF NOT EXISTS sluice.replays (
  replay_id uuid PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  selector jsonb NOT NULL,
  matched integer NOT NULL DEFAULT 0,
  published integer NOT NULL DEFAULT 0,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
