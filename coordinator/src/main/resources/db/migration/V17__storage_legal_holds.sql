-- Whether the S3 legal hold of every object a recovery point of a locked vault needs is on (set by the
-- coordinator's storage lifecycle pass when an ACTIVE legal hold covers the point, cleared when none does).
ALTER TABLE recovery_points ADD COLUMN storage_legal_hold boolean NOT NULL DEFAULT false;
