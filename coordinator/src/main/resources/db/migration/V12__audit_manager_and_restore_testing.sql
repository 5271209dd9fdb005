-- Audit Manager: frameworks (controls with their parameters and scope), report plans (template,
-- delivery channel) and report jobs (one per delivery, scheduled or on demand).
CREATE TABLE audit_frameworks (
  account_id         text NOT NULL REFERENCES accounts,
  name               text NOT NULL,
  arn                text NOT NULL,
  description        text,
  controls           jsonb NOT NULL,
  idempotency_token  text,
  created_at         timestamptz NOT NULL,
  PRIMARY KEY (account_id, name)
);

CREATE TABLE report_plans (
  account_id            text NOT NULL REFERENCES accounts,
  name                  text NOT NULL,
  arn                   text NOT NULL,
  description           text,
  delivery_channel      jsonb NOT NULL,
  report_setting        jsonb NOT NULL,
  created_at            timestamptz NOT NULL,
  last_attempted_at     timestamptz,
  last_successful_at    timestamptz,
  PRIMARY KEY (account_id, name)
);

CREATE TABLE report_jobs (
  report_job_id      text PRIMARY KEY,
  account_id         text NOT NULL REFERENCES accounts,
  report_plan_name   text NOT NULL,
  report_plan_arn    text NOT NULL,
  report_template    text NOT NULL,
  status             text NOT NULL,
  status_message     text,
  destination        jsonb,
  idempotency_token  text,
  created_at         timestamptz NOT NULL,
  completed_at       timestamptz
);
CREATE INDEX report_jobs_account_time ON report_jobs (account_id, created_at DESC, report_job_id DESC);
CREATE UNIQUE INDEX report_jobs_idempotency ON report_jobs (account_id, idempotency_token)
  WHERE idempotency_token IS NOT NULL;

-- Restore testing: plans (schedule, how a recovery point is picked), selections (which resources,
-- metadata overrides, validation window), and the restore jobs they start (restore_jobs rows
-- tagged with the plan, carrying the validation result and the clean-up state).
CREATE TABLE restore_testing_plans (
  account_id              text NOT NULL REFERENCES accounts,
  name                    text NOT NULL,
  arn                     text NOT NULL,
  schedule_expression     text NOT NULL,
  schedule_timezone       text,
  start_window_hours      integer NOT NULL,
  point_selection         jsonb NOT NULL,
  creator_request_id      text,
  created_at              timestamptz NOT NULL,
  updated_at              timestamptz,
  last_execution_at       timestamptz,
  PRIMARY KEY (account_id, name)
);

CREATE TABLE restore_testing_selections (
  account_id              text NOT NULL,
  plan_name               text NOT NULL,
  name                    text NOT NULL,
  document                jsonb NOT NULL,
  creator_request_id      text,
  created_at              timestamptz NOT NULL,
  updated_at              timestamptz,
  PRIMARY KEY (account_id, plan_name, name),
  FOREIGN KEY (account_id, plan_name) REFERENCES restore_testing_plans (account_id, name)
);

ALTER TABLE restore_jobs
  ADD COLUMN restore_testing_plan_arn   text,
  ADD COLUMN restore_testing_selection  text,
  ADD COLUMN validation_window_hours    integer,
  ADD COLUMN validation_status          text,
  ADD COLUMN validation_status_message  text,
  ADD COLUMN deletion_status            text,
  ADD COLUMN deletion_status_message    text;
CREATE INDEX restore_jobs_restore_tests ON restore_jobs (completed_at)
  WHERE restore_testing_plan_arn IS NOT NULL AND deletion_status IS NULL;
