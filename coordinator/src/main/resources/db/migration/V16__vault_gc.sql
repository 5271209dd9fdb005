-- Recovery points deleted from storage and vaults garbage-collected by the coordinator (coordinator vaultgc/).
-- A deleted recovery point's row is gone, so what storage still holds of it is kept here: a trigger adds a row for
-- every deleted point that has vault objects (vaultgate:pointIds), so every deleter (DeleteRecoveryPoint, the
-- DeleteAfterDays expiry) is covered. The storage deletion pass removes the manifests and reference lists and then
-- the row; while Object Lock still protects them the row stays, with the refusal and when to try again.
CREATE TABLE recovery_point_storage_deletions (
  recovery_point_arn text PRIMARY KEY,
  account_id         text NOT NULL,
  vault_name         text NOT NULL,
  vault_arn          text NOT NULL,
  point_ids          text NOT NULL,
  deleted_at         timestamptz NOT NULL DEFAULT now(),
  next_attempt_at    timestamptz NOT NULL DEFAULT '-infinity',
  attempts           integer NOT NULL DEFAULT 0,
  last_refusal       text
);
CREATE INDEX recovery_point_storage_deletions_due ON recovery_point_storage_deletions (next_attempt_at);

-- Per vault: how many points left its storage since its last gc (gc runs when more than zero), and when gc was last
-- tried (at most once per interval, across replicas) and last done.
CREATE TABLE vault_gc_state (
  vault_arn          text PRIMARY KEY,
  account_id         text NOT NULL,
  vault_name         text NOT NULL,
  deletions_since_gc integer NOT NULL DEFAULT 0,
  last_attempt_at    timestamptz,
  last_gc_at         timestamptz,
  last_refusal       text
);

CREATE FUNCTION recovery_point_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_arn text;
BEGIN
  IF OLD.restore_metadata IS NOT NULL AND coalesce(OLD.restore_metadata->>'vaultgate:pointIds', '') <> '' THEN
    SELECT arn INTO v_arn FROM backup_vaults WHERE account_id = OLD.account_id AND name = OLD.vault_name;
    IF v_arn IS NOT NULL THEN
      INSERT INTO recovery_point_storage_deletions (recovery_point_arn, account_id, vault_name, vault_arn, point_ids)
        VALUES (OLD.recovery_point_arn, OLD.account_id, OLD.vault_name, v_arn, OLD.restore_metadata->>'vaultgate:pointIds')
        ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER recovery_points_deleted AFTER DELETE ON recovery_points
  FOR EACH ROW EXECUTE FUNCTION recovery_point_deleted();
