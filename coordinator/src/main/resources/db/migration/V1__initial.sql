-- Accounts and the access keys that sign requests. Secrets are kept as issued: SigV4 needs
-- them to compute the signature.
CREATE TABLE accounts (
  account_id  text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE access_keys (
  access_key_id      text PRIMARY KEY,
  secret_access_key  text NOT NULL,
  account_id         text NOT NULL REFERENCES accounts,
  active             boolean NOT NULL DEFAULT true,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE backup_vaults (
  account_id          text NOT NULL REFERENCES accounts,
  name                text NOT NULL,
  arn                 text NOT NULL,
  created_at          timestamptz NOT NULL,
  encryption_key_arn  text,
  creator_request_id  text,
  lock_min_days       bigint,
  lock_max_days       bigint,
  lock_changeable_until timestamptz,
  locked              boolean NOT NULL DEFAULT false,
  PRIMARY KEY (account_id, name)
);

-- Tags of any resource, by ARN, within an account.
CREATE TABLE resource_tags (
  account_id    text NOT NULL,
  resource_arn  text NOT NULL,
  key           text NOT NULL,
  value         text NOT NULL,
  PRIMARY KEY (account_id, resource_arn, key)
);

CREATE TABLE backup_plans (
  plan_id             text PRIMARY KEY,
  account_id          text NOT NULL REFERENCES accounts,
  arn                 text NOT NULL,
  name                text NOT NULL,
  version_id          text NOT NULL,
  creator_request_id  text,
  created_at          timestamptz NOT NULL,
  deleted_at          timestamptz,
  last_execution_at   timestamptz
);
CREATE INDEX backup_plans_account ON backup_plans (account_id, created_at, plan_id);

-- Every version of a plan: the plan document as the API answers it, with rule ids filled in.
CREATE TABLE backup_plan_versions (
  plan_id      text NOT NULL REFERENCES backup_plans,
  version_id   text NOT NULL,
  document     jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  deleted_at   timestamptz,
  PRIMARY KEY (plan_id, version_id)
);
CREATE INDEX backup_plan_versions_by_time ON backup_plan_versions (plan_id, created_at);

CREATE TABLE backup_selections (
  selection_id        text PRIMARY KEY,
  plan_id             text NOT NULL REFERENCES backup_plans,
  account_id          text NOT NULL,
  name                text NOT NULL,
  iam_role_arn        text NOT NULL,
  document            jsonb NOT NULL,
  creator_request_id  text,
  created_at          timestamptz NOT NULL
);
CREATE INDEX backup_selections_plan ON backup_selections (plan_id, created_at);

CREATE TABLE backup_jobs (
  job_id              text PRIMARY KEY,
  account_id          text NOT NULL REFERENCES accounts,
  vault_name          text NOT NULL,
  vault_arn           text NOT NULL,
  recovery_point_arn  text NOT NULL,
  resource_arn        text NOT NULL,
  resource_type       text NOT NULL,
  iam_role_arn        text NOT NULL,
  state               text NOT NULL,
  status_message      text,
  percent_done        text NOT NULL DEFAULT '0.0',
  backup_size_bytes   bigint,
  bytes_transferred   bigint,
  created_at          timestamptz NOT NULL,
  start_by            timestamptz NOT NULL,
  complete_window_minutes bigint NOT NULL,
  complete_by         timestamptz,
  completed_at        timestamptz,
  lifecycle           jsonb,
  recovery_point_tags jsonb,
  backup_options      jsonb,
  created_by          jsonb,
  idempotency_token   text,
  lease_owner         text,
  lease_expires_at    timestamptz
);
CREATE INDEX backup_jobs_account_time ON backup_jobs (account_id, created_at DESC, job_id DESC);
CREATE INDEX backup_jobs_state ON backup_jobs (state, start_by);
CREATE UNIQUE INDEX backup_jobs_idempotency ON backup_jobs (account_id, idempotency_token)
  WHERE idempotency_token IS NOT NULL;

CREATE TABLE recovery_points (
  recovery_point_arn  text PRIMARY KEY,
  account_id          text NOT NULL REFERENCES accounts,
  vault_name          text NOT NULL,
  resource_arn        text NOT NULL,
  resource_type       text NOT NULL,
  backup_job_id       text,
  iam_role_arn        text,
  status              text NOT NULL,
  storage_class       text NOT NULL DEFAULT 'WARM',
  size_bytes          bigint,
  created_at          timestamptz NOT NULL,
  completed_at        timestamptz,
  lifecycle           jsonb,
  cold_at             timestamptz,
  delete_at           timestamptz,
  created_by          jsonb,
  FOREIGN KEY (account_id, vault_name) REFERENCES backup_vaults (account_id, name)
);
CREATE INDEX recovery_points_vault ON recovery_points (account_id, vault_name, created_at DESC);
CREATE INDEX recovery_points_resource ON recovery_points (account_id, resource_arn, created_at DESC);

CREATE UNIQUE INDEX backup_plans_live_name ON backup_plans (account_id, name) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX backup_plans_request ON backup_plans (account_id, creator_request_id)
  WHERE creator_request_id IS NOT NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX backup_selections_name ON backup_selections (plan_id, name);
