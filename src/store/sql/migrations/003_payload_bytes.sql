-- Every event's data kept byte for byte, whatever its content type. `data` (jsonb) stays the
-- queryable form of JSON data (and of form posts, as an object of strings), NULL for other
-- types; `data_bytes` holds the exact bytes the producer sent. Rows archived before this
-- migration have no bytes: their data reads back from `data`.
-- Adding nullable columns without a default changes only the catalog: instant on any archive.
ALTER TABLE sluice.events ADD COLUMN IF NOT EXISTS data_bytes bytea;
ALTER TABLE sluice.events ADD COLUMN IF NOT EXISTS dataschema text;
