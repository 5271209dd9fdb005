-- The activity log (what CloudTrail is to AWS): one row per API call, agent call or service
-- action. Each row keeps the exact canonical JSON that was hashed ({"event","prevHash","seq"}),
-- its SHA-256 and the hash of the row before, so an edited, dropped or reordered row breaks the
-- chain. The other columns are copies of fields of the event for lookups; the verifier checks
-- that they agree with the hashed JSON.
CREATE TABLE activity_log (
  seq            bigint PRIMARY KEY,
  event_id       uuid NOT NULL UNIQUE,
  event_time     timestamptz NOT NULL,
  account_id     text,
  event_source   text NOT NULL,
  event_name     text NOT NULL,
  username       text,
  access_key_id  text,
  read_only      boolean,
  resource_names text[] NOT NULL,
  resource_types text[] NOT NULL,
  canonical      text NOT NULL,
  hash           text NOT NULL,
  prev_hash      text NOT NULL
);
CREATE INDEX activity_log_account_time ON activity_log (account_id, event_time DESC, seq DESC);
CREATE INDEX activity_log_resource_names ON activity_log USING gin (resource_names);

-- Append-only: rows are never updated or deleted through the database's front door. (Someone
-- who can drop the trigger can still edit rows: that is what the hash chain and the signed
-- digests in S3 are for.)
CREATE FUNCTION activity_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'activity_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER activity_log_append_only BEFORE UPDATE OR DELETE ON activity_log
  FOR EACH ROW EXECUTE FUNCTION activity_log_append_only();
CREATE TRIGGER activity_log_no_truncate BEFORE TRUNCATE ON activity_log
  FOR EACH STATEMENT EXECUTE FUNCTION activity_log_append_only();

-- The signed digests written to S3, one row each, so the next digest knows where the last one
-- ended and chains to its hash. The object in S3 is the proof; this row is bookkeeping.
CREATE TABLE activity_digests (
  first_seq     bigint NOT NULL,
  last_seq      bigint PRIMARY KEY,
  last_hash     text NOT NULL,
  digest_hash   text NOT NULL,
  object_key    text NOT NULL,
  created_at    timestamptz NOT NULL
);
