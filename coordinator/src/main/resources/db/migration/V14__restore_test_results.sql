-- Restore tests run by gateways: which gateway ran the test (only it reports the validation and the
-- clean-up of what it restored), how long the restore itself took on the gateway, and a notification
-- when a test fails after its restore job ended (the restore job's own FAILED already notifies, V8).
ALTER TABLE restore_jobs
  ADD COLUMN restore_test_gateway_id  text,
  ADD COLUMN restore_test_seconds     double precision;

-- A restore test whose validation came back FAILED, or whose restored resource could not be deleted, is
-- a failed restore test: RESTORE_JOB_FAILED to the vault of the recovery point (the BackupVaultEvent enum
-- has no restore-testing event), with the validation and deletion state in the attributes. A restore job
-- that FAILED notified when it failed, so only COMPLETED jobs notify here.
CREATE FUNCTION restore_test_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_vault  text;
  v_attrs  jsonb;
  v_reason text;
BEGIN
  IF NEW.restore_testing_plan_arn IS NULL OR NEW.status <> 'COMPLETED' THEN
    RETURN NULL;
  END IF;
  IF NEW.validation_status = 'FAILED' AND OLD.validation_status IS DISTINCT FROM 'FAILED' THEN
    v_reason := 'its validation FAILED' || COALESCE(': ' || NEW.validation_status_message, '');
  ELSIF NEW.deletion_status = 'FAILED' AND OLD.deletion_status IS DISTINCT FROM 'FAILED' THEN
    v_reason := 'the restored resource could not be deleted' || COALESCE(': ' || NEW.deletion_status_message, '');
  ELSE
    RETURN NULL;
  END IF;
  SELECT vault_name INTO v_vault FROM recovery_points WHERE recovery_point_arn = NEW.recovery_point_arn;
  IF v_vault IS NULL THEN
    SELECT name INTO v_vault FROM backup_vaults WHERE account_id = NEW.account_id AND arn = NEW.vault_arn;
  END IF;
  IF v_vault IS NULL THEN
    RETURN NULL;
  END IF;
  v_attrs := jsonb_build_object('Id', NEW.job_id, 'State', NEW.status, 'RecoveryPointArn', NEW.recovery_point_arn,
      'CreatedResourceArn', NEW.created_resource_arn, 'RestoreTestingPlanArn', NEW.restore_testing_plan_arn,
      'ValidationStatus', NEW.validation_status, 'ValidationStatusMessage', NEW.validation_status_message,
      'DeletionStatus', NEW.deletion_status, 'DeletionStatusMessage', NEW.deletion_status_message);
  PERFORM vault_notify(NEW.account_id, v_vault, 'RESTORE_JOB_FAILED', 'Notification from AWS Backup',
      'An AWS Backup restore test failed: ' || v_reason || '. Recovery point ARN: ' || NEW.recovery_point_arn
      || '. RestoreJob ID : ' || NEW.job_id || '. Restore testing plan ARN : ' || NEW.restore_testing_plan_arn,
      v_attrs);
  RETURN NULL;
END $$;
CREATE TRIGGER restore_tests_notify AFTER UPDATE OF validation_status, deletion_status ON restore_jobs
  FOR EACH ROW EXECUTE FUNCTION restore_test_events();
