-- A recovery point's lifecycle carried out in its vault's storage (coordinator lifecycle/StorageLifecycle):
-- storage_retention_pending: its delete date moved later (UpdateRecoveryPointLifecycle) and the Object Lock
--   retention of what it references has not been extended to it yet; set by the trigger below, so every writer
--   of delete_at is covered, and cleared by the pass that extended the storage.
-- storage_retained_until: the date the coordinator last made the storage hold the point until.
-- storage_cold_at: when the point's packs were moved to its vault's cold storage class (null: not yet; packs a
--   warm point shares stay warm until that point is cold too).
ALTER TABLE recovery_points
  ADD COLUMN storage_retention_pending boolean NOT NULL DEFAULT false,
  ADD COLUMN storage_retained_until timestamptz,
  ADD COLUMN storage_cold_at timestamptz;

CREATE INDEX recovery_points_storage_retention_pending ON recovery_points (recovery_point_arn)
  WHERE storage_retention_pending;
CREATE INDEX recovery_points_storage_cold_due ON recovery_points (account_id, vault_name)
  WHERE storage_class = 'COLD' AND storage_cold_at IS NULL;

CREATE FUNCTION recovery_point_retention_lengthened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.delete_at IS NOT NULL AND (OLD.delete_at IS NULL OR NEW.delete_at > OLD.delete_at) THEN
    NEW.storage_retention_pending := true;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER recovery_points_retention_lengthened BEFORE UPDATE OF delete_at ON recovery_points
  FOR EACH ROW EXECUTE FUNCTION recovery_point_retention_lengthened();
