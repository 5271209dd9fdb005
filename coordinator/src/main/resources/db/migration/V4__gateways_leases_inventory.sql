-- Gateways that registered through the agent API. A gateway authenticates with a bearer token
-- the coordinator handed out at registration; only its SHA-256 is kept.
CREATE TABLE gateways (
  gateway_id        text PRIMARY KEY,
  account_id        text NOT NULL REFERENCES accounts,
  arn               text NOT NULL,
  name              text NOT NULL,
  token_sha256      text NOT NULL UNIQUE,
  software_version  text,
  registered_at     timestamptz NOT NULL,
  last_seen_at      timestamptz NOT NULL
);
CREATE INDEX gateways_account ON gateways (account_id, registered_at);

-- Leasing: when a gateway first started the job; the leasable queue and the expiring leases.
ALTER TABLE backup_jobs ADD COLUMN started_at timestamptz;
CREATE INDEX backup_jobs_leasable ON backup_jobs (account_id, created_at, job_id)
  WHERE state IN ('CREATED', 'PENDING');
CREATE INDEX backup_jobs_leases ON backup_jobs (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
CREATE INDEX backup_jobs_running_until ON backup_jobs (complete_by) WHERE state IN ('RUNNING', 'ABORTING');

-- The protected-resource inventory gateways report: what selections are evaluated against,
-- and which gateway can reach a resource (it is the one that leases the resource's jobs).
CREATE TABLE inventory (
  account_id     text NOT NULL REFERENCES accounts,
  resource_arn   text NOT NULL,
  gateway_id     text NOT NULL REFERENCES gateways,
  resource_type  text NOT NULL,
  name           text NOT NULL,
  tags           jsonb NOT NULL,
  reported_at    timestamptz NOT NULL,
  PRIMARY KEY (account_id, resource_arn)
);
CREATE INDEX inventory_gateway ON inventory (gateway_id);

-- The scheduler's claims: one row per (plan, rule, scheduled time). The replica whose insert
-- succeeds creates that tick's jobs in the same transaction; the others skip it.
CREATE TABLE backup_schedule_runs (
  plan_id       text NOT NULL REFERENCES backup_plans,
  rule_id       text NOT NULL,
  scheduled_at  timestamptz NOT NULL,
  claimed_at    timestamptz NOT NULL,
  jobs_created  integer NOT NULL,
  PRIMARY KEY (plan_id, rule_id, scheduled_at)
);
CREATE INDEX recovery_points_cold_at ON recovery_points (cold_at) WHERE storage_class = 'WARM' AND cold_at IS NOT NULL;
CREATE INDEX recovery_points_delete_at ON recovery_points (delete_at) WHERE delete_at IS NOT NULL;
