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
