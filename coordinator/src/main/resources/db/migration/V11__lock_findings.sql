-- What the scheduled lock reconciliation found: a recovery point of a locked vault whose storage
-- (Object Lock retention of its manifests) does not hold what the database says.
CREATE TABLE lock_findings (
  finding_id          bigserial PRIMARY KEY,
  found_at            timestamptz NOT NULL,
  account_id          text NOT NULL,
  vault_name          text NOT NULL,
  recovery_point_arn  text NOT NULL,
  object_key          text NOT NULL,
  message             text NOT NULL
);
CREATE INDEX lock_findings_point ON lock_findings (account_id, recovery_point_arn, found_at DESC);
