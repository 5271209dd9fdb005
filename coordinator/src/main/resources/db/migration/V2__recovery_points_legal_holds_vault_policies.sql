-- What a gateway reports with a recovery point, and the vault settings of the access-policy and
-- notification operations.
ALTER TABLE recovery_points
  ADD COLUMN status_message   text,
  ADD COLUMN restore_metadata jsonb,
  ADD COLUMN vault_arn        text,
  ADD COLUMN recovery_point_tags jsonb;
CREATE INDEX recovery_points_account_time ON recovery_points (account_id, created_at DESC, recovery_point_arn);

ALTER TABLE backup_vaults
  ADD COLUMN access_policy        text,
  ADD COLUMN sns_topic_arn        text,
  ADD COLUMN notification_events  jsonb;

-- Legal holds. A point is held while an ACTIVE hold's selection (vaults, resources, creation
-- date range; an empty part matches all) matches it.
CREATE TABLE legal_holds (
  legal_hold_id        text PRIMARY KEY,
  account_id           text NOT NULL REFERENCES accounts,
  arn                  text NOT NULL,
  title                text NOT NULL,
  description          text NOT NULL,
  status               text NOT NULL,
  selection            jsonb NOT NULL,
  idempotency_token    text,
  created_at           timestamptz NOT NULL,
  cancelled_at         timestamptz,
  cancel_description   text,
  retain_record_until  timestamptz
);
CREATE INDEX legal_holds_account ON legal_holds (account_id, created_at, legal_hold_id);
CREATE UNIQUE INDEX legal_holds_idempotency ON legal_holds (account_id, idempotency_token)
  WHERE idempotency_token IS NOT NULL;
