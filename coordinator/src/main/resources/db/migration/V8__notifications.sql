-- Vault notifications. The coordinator is the SNS topic a vault's notifications go to: topics and
-- their subscriptions (http/https webhooks, e-mail) live here, and every job or recovery-point
-- state change a vault subscribes to adds one outbox row per subscription IN THE SAME TRANSACTION
-- as the change (triggers below), so a crash can neither lose nor invent a notification. The
-- delivery worker drains the outbox; a row stays until it is delivered or given up (DEAD).
CREATE TABLE sns_topics (
  arn           text PRIMARY KEY,
  account_id    text NOT NULL REFERENCES accounts,
  name          text NOT NULL,
  display_name  text,
  created_at    timestamptz NOT NULL,
  UNIQUE (account_id, name)
);

CREATE TABLE sns_subscriptions (
  subscription_arn  text PRIMARY KEY,
  topic_arn         text NOT NULL REFERENCES sns_topics ON DELETE CASCADE,
  account_id        text NOT NULL,
  protocol          text NOT NULL,
  endpoint          text NOT NULL,
  -- the HMAC-SHA256 key of the X-Vaultgate-Signature header (http/https); shown once at Subscribe
  signing_secret    text,
  -- as in SNS, an endpoint gets notifications only after it confirmed with the token it was sent
  confirmed           boolean NOT NULL DEFAULT false,
  confirmation_token  text NOT NULL,
  created_at        timestamptz NOT NULL,
  UNIQUE (topic_arn, protocol, endpoint)
);
CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic_arn, created_at);
CREATE INDEX sns_subscriptions_token ON sns_subscriptions (confirmation_token);

-- One row per (event, subscription). PENDING rows are due at next_attempt_at; a worker claims a
-- row by moving next_attempt_at past its delivery timeout (FOR UPDATE SKIP LOCKED), so a worker
-- that dies mid-delivery only delays the row. Delivered rows are deleted; DEAD rows stay, visible.
CREATE TABLE notification_outbox (
  delivery_id       bigserial PRIMARY KEY,
  message_id        uuid NOT NULL,
  subscription_arn  text NOT NULL REFERENCES sns_subscriptions ON DELETE CASCADE,
  topic_arn         text NOT NULL,
  account_id        text NOT NULL,
  vault_name        text,             -- null for a SubscriptionConfirmation
  event_type        text NOT NULL,
  body              jsonb NOT NULL,
  state             text NOT NULL DEFAULT 'PENDING',
  attempts          integer NOT NULL DEFAULT 0,
  last_error        text,
  created_at        timestamptz NOT NULL,
  next_attempt_at   timestamptz NOT NULL,
  dead_at           timestamptz
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE state = 'PENDING';
CREATE INDEX notification_outbox_dead ON notification_outbox (topic_arn, dead_at) WHERE state = 'DEAD';

-- Adds the outbox rows of one event of one vault: nothing unless the vault's notification
-- settings name the event and a topic of the same account this coordinator serves; only confirmed
-- subscriptions get it.
CREATE FUNCTION vault_notify(p_account text, p_vault text, p_event text, p_subject text, p_message text,
    p_attributes jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_topic  text;
  v_events jsonb;
  v_id     uuid := gen_random_uuid();
BEGIN
  SELECT sns_topic_arn, notification_events INTO v_topic, v_events
    FROM backup_vaults WHERE account_id = p_account AND name = p_vault;
  IF v_topic IS NULL OR v_events IS NULL OR NOT (v_events ? p_event) THEN
    RETURN;
  END IF;
  INSERT INTO notification_outbox (message_id, subscription_arn, topic_arn, account_id, vault_name, event_type,
      body, created_at, next_attempt_at)
  SELECT v_id, s.subscription_arn, v_topic, p_account, p_vault, p_event,
      jsonb_build_object(
        'Type', 'Notification',
        'MessageId', v_id,
        'TopicArn', v_topic,
        'Subject', p_subject,
        'Message', p_message,
        'Timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'MessageAttributes', (SELECT COALESCE(jsonb_object_agg(k, jsonb_build_object('Type', 'String', 'Value', v)),
                                     '{}'::jsonb)
                                FROM jsonb_each_text(p_attributes || jsonb_build_object('EventType', p_event,
                                     'AccountId', p_account, 'BackupVaultName', p_vault)) AS a(k, v)
                               WHERE v IS NOT NULL)),
      now(), now()
    FROM sns_subscriptions s JOIN sns_topics t ON t.arn = s.topic_arn
   WHERE s.topic_arn = v_topic AND t.account_id = p_account AND s.confirmed;
END $$;

-- Backup jobs: STARTED on the first start; COMPLETED for every end (the State attribute says
-- which), with SUCCESSFUL, FAILED (also for ABORTED) or EXPIRED beside it, as AWS Backup sends them.
CREATE FUNCTION backup_job_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_attrs jsonb;
  v_text  text;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.state = NEW.state THEN
    RETURN NULL;
  END IF;
  v_attrs := jsonb_build_object('Id', NEW.job_id, 'State', NEW.state, 'ResourceArn', NEW.resource_arn,
      'RecoveryPointArn', NEW.recovery_point_arn, 'StatusMessage', NEW.status_message);
  IF NEW.state = 'RUNNING' AND (TG_OP = 'INSERT' OR OLD.started_at IS NULL) THEN
    PERFORM vault_notify(NEW.account_id, NEW.vault_name, 'BACKUP_JOB_STARTED', 'Notification from AWS Backup',
        'An AWS Backup job was started. Resource ARN : ' || NEW.resource_arn || '. BackupJob ID : ' || NEW.job_id,
        v_attrs);
  ELSIF NEW.state IN ('COMPLETED', 'FAILED', 'ABORTED', 'EXPIRED') THEN
    v_text := CASE NEW.state
        WHEN 'COMPLETED' THEN 'An AWS Backup job was completed successfully. Recovery point ARN: '
            || NEW.recovery_point_arn || '. Resource ARN : ' || NEW.resource_arn || '. BackupJob ID : ' || NEW.job_id
        ELSE 'An AWS Backup job ' || lower(NEW.state) || '. Resource ARN : ' || NEW.resource_arn
            || '. BackupJob ID : ' || NEW.job_id || COALESCE('. Status message : ' || NEW.status_message, '') END;
    PERFORM vault_notify(NEW.account_id, NEW.vault_name, 'BACKUP_JOB_COMPLETED', 'Notification from AWS Backup',
        v_text, v_attrs);
    PERFORM vault_notify(NEW.account_id, NEW.vault_name,
        CASE NEW.state WHEN 'COMPLETED' THEN 'BACKUP_JOB_SUCCESSFUL' WHEN 'EXPIRED' THEN 'BACKUP_JOB_EXPIRED'
                       ELSE 'BACKUP_JOB_FAILED' END,
        'Notification from AWS Backup', v_text, v_attrs);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER backup_jobs_notify AFTER INSERT OR UPDATE OF state ON backup_jobs
  FOR EACH ROW EXECUTE FUNCTION backup_job_events();

-- Restore jobs go to the vault of the recovery point they restore.
CREATE FUNCTION restore_job_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_vault text;
  v_attrs jsonb;
  v_text  text;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN
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
      'CreatedResourceArn', NEW.created_resource_arn, 'StatusMessage', NEW.status_message);
  IF NEW.status = 'RUNNING' AND (TG_OP = 'INSERT' OR OLD.started_at IS NULL) THEN
    PERFORM vault_notify(NEW.account_id, v_vault, 'RESTORE_JOB_STARTED', 'Notification from AWS Backup',
        'An AWS Backup restore job was started. Recovery point ARN: ' || NEW.recovery_point_arn
        || '. RestoreJob ID : ' || NEW.job_id, v_attrs);
  ELSIF NEW.status IN ('COMPLETED', 'FAILED', 'ABORTED') THEN
    v_text := 'An AWS Backup restore job ' || CASE NEW.status WHEN 'COMPLETED' THEN 'was completed successfully'
        ELSE lower(NEW.status) END || '. Recovery point ARN: ' || NEW.recovery_point_arn || '. RestoreJob ID : '
        || NEW.job_id || COALESCE('. Created resource ARN : ' || NEW.created_resource_arn, '')
        || COALESCE('. Status message : ' || NEW.status_message, '');
    PERFORM vault_notify(NEW.account_id, v_vault, 'RESTORE_JOB_COMPLETED', 'Notification from AWS Backup',
        v_text, v_attrs);
    PERFORM vault_notify(NEW.account_id, v_vault,
        CASE NEW.status WHEN 'COMPLETED' THEN 'RESTORE_JOB_SUCCESSFUL' ELSE 'RESTORE_JOB_FAILED' END,
        'Notification from AWS Backup', v_text, v_attrs);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER restore_jobs_notify AFTER INSERT OR UPDATE OF status ON restore_jobs
  FOR EACH ROW EXECUTE FUNCTION restore_job_events();

-- Copy jobs go to the source vault (where the copy is made from, as AWS Backup does).
CREATE FUNCTION copy_job_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_vault text;
  v_attrs jsonb;
  v_event text;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.state = NEW.state THEN
    RETURN NULL;
  END IF;
  SELECT name INTO v_vault FROM backup_vaults WHERE account_id = NEW.account_id AND arn = NEW.source_vault_arn;
  IF v_vault IS NULL THEN
    RETURN NULL;
  END IF;
  v_event := CASE
      WHEN NEW.state = 'RUNNING' AND (TG_OP = 'INSERT' OR OLD.started_at IS NULL) THEN 'COPY_JOB_STARTED'
      WHEN NEW.state = 'COMPLETED' THEN 'COPY_JOB_SUCCESSFUL'
      WHEN NEW.state IN ('FAILED', 'PARTIAL') THEN 'COPY_JOB_FAILED' END;
  IF v_event IS NULL THEN
    RETURN NULL;
  END IF;
  v_attrs := jsonb_build_object('Id', NEW.job_id, 'State', NEW.state,
      'RecoveryPointArn', NEW.source_recovery_point_arn, 'DestinationBackupVaultArn', NEW.destination_vault_arn,
      'DestinationRecoveryPointArn', NEW.destination_recovery_point_arn, 'StatusMessage', NEW.status_message);
  PERFORM vault_notify(NEW.account_id, v_vault, v_event, 'Notification from AWS Backup',
      'An AWS Backup copy job ' || CASE v_event WHEN 'COPY_JOB_STARTED' THEN 'was started'
          WHEN 'COPY_JOB_SUCCESSFUL' THEN 'was completed successfully' ELSE lower(NEW.state) END
      || '. Recovery point ARN: ' || NEW.source_recovery_point_arn || '. Destination vault ARN : '
      || NEW.destination_vault_arn || '. CopyJob ID : ' || NEW.job_id
      || COALESCE('. Status message : ' || NEW.status_message, ''), v_attrs);
  RETURN NULL;
END $$;
CREATE TRIGGER copy_jobs_notify AFTER INSERT OR UPDATE OF state ON copy_jobs
  FOR EACH ROW EXECUTE FUNCTION copy_job_events();

-- A recovery point's lifecycle, storage class or status changed (UpdateRecoveryPointLifecycle,
-- the scheduler moving it to cold storage).
CREATE FUNCTION recovery_point_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.lifecycle IS NOT DISTINCT FROM NEW.lifecycle AND OLD.storage_class = NEW.storage_class
      AND OLD.status = NEW.status THEN
    RETURN NULL;
  END IF;
  PERFORM vault_notify(NEW.account_id, NEW.vault_name, 'RECOVERY_POINT_MODIFIED', 'Notification from AWS Backup',
      'An AWS Backup recovery point was modified. Recovery point ARN: ' || NEW.recovery_point_arn
      || '. Storage class : ' || NEW.storage_class || '. Status : ' || NEW.status,
      jsonb_build_object('RecoveryPointArn', NEW.recovery_point_arn, 'ResourceArn', NEW.resource_arn,
          'State', NEW.status, 'StorageClass', NEW.storage_class, 'Lifecycle', NEW.lifecycle::text));
  RETURN NULL;
END $$;
CREATE TRIGGER recovery_points_notify AFTER UPDATE ON recovery_points
  FOR EACH ROW EXECUTE FUNCTION recovery_point_events();

-- A plan version: CREATED for the first, MODIFIED after; sent to every vault its rules back up to.
CREATE FUNCTION backup_plan_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_account text;
  v_name    text;
  v_event   text;
  v_vault   text;
BEGIN
  SELECT account_id, name INTO v_account, v_name FROM backup_plans WHERE plan_id = NEW.plan_id;
  v_event := CASE WHEN EXISTS (SELECT 1 FROM backup_plan_versions
                                WHERE plan_id = NEW.plan_id AND version_id <> NEW.version_id)
                  THEN 'BACKUP_PLAN_MODIFIED' ELSE 'BACKUP_PLAN_CREATED' END;
  FOR v_vault IN SELECT DISTINCT r ->> 'TargetBackupVaultName'
                   FROM jsonb_array_elements(COALESCE(NEW.document -> 'Rules', '[]'::jsonb)) AS r
                  WHERE r ->> 'TargetBackupVaultName' IS NOT NULL LOOP
    PERFORM vault_notify(v_account, v_vault, v_event, 'Notification from AWS Backup',
        'An AWS Backup plan was ' || CASE v_event WHEN 'BACKUP_PLAN_CREATED' THEN 'created' ELSE 'modified' END
        || '. Backup plan ID : ' || NEW.plan_id || '. Version ID : ' || NEW.version_id,
        jsonb_build_object('Id', NEW.plan_id, 'BackupPlanName', v_name, 'VersionId', NEW.version_id));
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER backup_plan_versions_notify AFTER INSERT ON backup_plan_versions
  FOR EACH ROW EXECUTE FUNCTION backup_plan_events();
