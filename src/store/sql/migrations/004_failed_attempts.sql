-- Only failed deliveries count toward SLUICE_MAX_DELIVER, and each message starts its own
-- count: a replay is a message of its own (its own stream sequence, `failing_seq`), so a
-- transient error during a replay is not added to the failures of earlier deliveries.
-- `attempts` still counts every delivery. Adding columns with constant defaults rewrites no rows.
ALTER TABLE sluice.message_status ADD COLUMN IF NOT EXISTS failed_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE sluice.message_status ADD COLUMN IF NOT EXISTS failing_seq bigint;

-- The identity of each stream the workers consume (its creation time), so a stream deleted and
-- created again, whose sequences restart at 1, is noticed before the newest-wins guard compares
-- its sequences with the ones stored from the old stream.
CREATE TABLE IF NOT EXISTS sluice.streams (
  name text PRIMARY KEY,
  created text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The producer's own entity hint (`?entity=`, `X-Entity-Type`), apart from `entity_type`, the
-- entity the event was mapped to when it was stored. A replay carries only the hint, so it is
-- mapped with the definitions in force when it is replayed (an entity renamed or re-mapped
-- since takes it). Rows archived before this column have no hint: they replay by type.
ALTER TABLE sluice.events ADD COLUMN IF NOT EXISTS entity_hint text;
