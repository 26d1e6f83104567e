-- Subscriptions: where events of some types are delivered over HTTP. Declared in the
-- subscription file (origin 'file') or created through the API (origin 'api').
CREATE TABLE IF NOT EXISTS sluice.subscriptions (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  types text[] NOT NULL,
  url text NOT NULL,
  secret text NOT NULL,
  filter jsonb,
  max_attempts integer NOT NULL,
  timeout_ms integer NOT NULL,
  max_in_flight integer NOT NULL,
  ordered boolean NOT NULL DEFAULT false,
  paused boolean NOT NULL DEFAULT false,
  origin text NOT NULL CHECK (origin IN ('file', 'api')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per (subscription, event): where its delivery stands. 'failed' rows are the
-- subscription's dead letters, replayable with POST /replay {"subscription": ...}.
CREATE TABLE IF NOT EXISTS sluice.deliveries (
  subscription_id uuid NOT NULL REFERENCES sluice.subscriptions (id) ON DELETE CASCADE,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  status_code integer,
  error text,
  first_attempt_at timestamptz NOT NULL,
  last_attempt_at timestamptz NOT NULL,
  -- Orders the listing and its cursor: bumped on every attempt.
  position bigserial,
  PRIMARY KEY (subscription_id, event_id)
);
CREATE INDEX IF NOT EXISTS deliveries_by_status ON sluice.deliveries (subscription_id, status, position);
CREATE INDEX IF NOT EXISTS deliveries_by_position ON sluice.deliveries (subscription_id, position);

-- Every attempt: when, the answer (status code) or the error, how long it took.
CREATE TABLE IF NOT EXISTS sluice.delivery_attempts (
  id bigserial PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES sluice.subscriptions (id) ON DELETE CASCADE,
  event_id uuid NOT NULL,
  attempt integer NOT NULL,
  attempted_at timestamptz NOT NULL,
  status_code integer,
  error text,
  duration_ms double precision NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  replay_id uuid
);
CREATE INDEX IF NOT EXISTS delivery_attempts_by_event ON sluice.delivery_attempts (event_id, id);
CREATE INDEX IF NOT EXISTS delivery_attempts_by_subscription ON sluice.delivery_attempts (subscription_id, event_id, id);
