-- Copy and restore jobs are leased to gateways like backup jobs: who holds the lease and until
-- when, how often it was leased (an expired lease puts the job back a few times, then fails it),
-- and the progress gateways report.
ALTER TABLE copy_jobs
  ADD COLUMN lease_owner       text,
  ADD COLUMN lease_expires_at  timestamptz,
  ADD COLUMN attempts          integer NOT NULL DEFAULT 0,
  ADD COLUMN started_at        timestamptz,
  ADD COLUMN percent_done      text NOT NULL DEFAULT '0.0';
CREATE INDEX copy_jobs_leasable ON copy_jobs (account_id, created_at, job_id) WHERE state = 'CREATED';
CREATE INDEX copy_jobs_leases ON copy_jobs (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
-- The copies a plan rule's CopyActions make of one recovery point: one per destination, however
-- many times (or replicas) the backup's completion is reported.
CREATE UNIQUE INDEX copy_jobs_from_rule ON copy_jobs (account_id, source_recovery_point_arn, destination_vault_arn)
  WHERE created_by IS NOT NULL;

ALTER TABLE restore_jobs
  ADD COLUMN lease_owner       text,
  ADD COLUMN lease_expires_at  timestamptz,
  ADD COLUMN attempts          integer NOT NULL DEFAULT 0,
  ADD COLUMN started_at        timestamptz;
CREATE INDEX restore_jobs_leasable ON restore_jobs (account_id, created_at, job_id) WHERE status = 'PENDING';
CREATE INDEX restore_jobs_leases ON restore_jobs (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

