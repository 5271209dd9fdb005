-- Recovery points deleted from storage and vaults garbage-collected by the coordinator (coordinator vaultgc/).
-- A deleted recovery point's row is gone, so what storage still holds of it is kept here: a trigger adds a row for
-- every deleted point that has vault objects (vaultgate:pointIds or vaultgate:recoveryPointId), so every deleter (DeleteRecoveryPoint, the
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

-- The storage ids: a VM point's vaultgate:pointIds (one per disk, comma-separated), a local volume's
-- vaultgate:recoveryPointId.
CREATE FUNCTION recovery_point_storage_ids(metadata jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(nullif(btrim(metadata->>'vaultgate:pointIds'), ''), nullif(btrim(metadata->>'vaultgate:recoveryPointId'), ''))
$$;

CREATE FUNCTION recovery_point_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_arn text;
  v_ids text := recovery_point_storage_ids(OLD.restore_metadata);
BEGIN
  IF v_ids IS NOT NULL THEN
    SELECT arn INTO v_arn FROM backup_vaults WHERE account_id = OLD.account_id AND name = OLD.vault_name;
    IF v_arn IS NOT NULL THEN
      INSERT INTO recovery_point_storage_deletions (recovery_point_arn, account_id, vault_name, vault_arn, point_ids)
        VALUES (OLD.recovery_point_arn, OLD.account_id, OLD.vault_name, v_arn, v_ids)
        ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER recovery_points_deleted AFTER DELETE ON recovery_points
  FOR EACH ROW EXECUTE FUNCTION recovery_point_deleted();
