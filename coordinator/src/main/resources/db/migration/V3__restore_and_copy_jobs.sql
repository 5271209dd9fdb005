-- Restore jobs (PENDING, RUNNING, COMPLETED, ABORTED, FAILED) and copy jobs (CREATED, RUNNING,
-- COMPLETED, FAILED, PARTIAL), both waiting for a gateway or the copy worker to take them.
CREATE TABLE restore_jobs (
  job_id                     text PRIMARY KEY,
  account_id                 text NOT NULL REFERENCES accounts,
  recovery_point_arn         text NOT NULL,
  vault_arn                  text,
  source_resource_arn        text NOT NULL,
  resource_type              text NOT NULL,
  iam_role_arn               text,
  status                     text NOT NULL,
  status_message             text,
  percent_done               text NOT NULL DEFAULT '0.0',
  backup_size_bytes          bigint,
  metadata                   jsonb NOT NULL,
  created_resource_arn       text,
  recovery_point_created_at  timestamptz,
  created_at                 timestamptz NOT NULL,
  completed_at               timestamptz,
  idempotency_token          text
);
CREATE INDEX restore_jobs_account_time ON restore_jobs (account_id, created_at DESC, job_id DESC);
CREATE UNIQUE INDEX restore_jobs_idempotency ON restore_jobs (account_id, idempotency_token)
  WHERE idempotency_token IS NOT NULL;

CREATE TABLE copy_jobs (
  job_id                          text PRIMARY KEY,
  account_id                      text NOT NULL REFERENCES accounts,
  source_vault_arn                text NOT NULL,
  source_recovery_point_arn       text NOT NULL,
  destination_vault_arn           text NOT NULL,
  destination_recovery_point_arn  text NOT NULL,
  resource_arn                    text NOT NULL,
  resource_type                   text NOT NULL,
  iam_role_arn                    text NOT NULL,
  state                           text NOT NULL,
  status_message                  text,
  backup_size_bytes               bigint,
  lifecycle                       jsonb,
  created_by                      jsonb,
  created_at                      timestamptz NOT NULL,
  completed_at                    timestamptz,
  idempotency_token               text
);
CREATE INDEX copy_jobs_account_time ON copy_jobs (account_id, created_at DESC, job_id DESC);
CREATE UNIQUE INDEX copy_jobs_idempotency ON copy_jobs (account_id, idempotency_token)
  WHERE idempotency_token IS NOT NULL;
