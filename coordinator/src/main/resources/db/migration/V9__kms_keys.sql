-- The KMS API subset (kms/): symmetric keys of an account, their key material versions and aliases.
-- Key material is 32 random bytes sealed with AES-256-GCM under the coordinator's master key
-- (SecretSealer: nonce || ciphertext+tag, bound to 'kms key <uuid> material <version>'), never stored
-- in the clear. A key's state is derived: deletion_date set = PendingDeletion, else enabled or Disabled.
-- RotateKeyOnDemand adds a version and moves current_version; older versions stay to decrypt.
-- Automatic rotation: due rotation_period_days after the later of rotation_since (when it was enabled)
-- and last_rotated_at; done by the first Encrypt/GenerateDataKey after that (PgKmsKeyStore.rotateIfDue).
CREATE TABLE kms_keys (
  key_id                 uuid PRIMARY KEY,
  account_id             text NOT NULL REFERENCES accounts,
  description            text NOT NULL DEFAULT '',
  created_at             timestamptz NOT NULL,
  enabled                boolean NOT NULL DEFAULT true,
  deletion_date          timestamptz,
  pending_window_days    integer,
  rotation_enabled       boolean NOT NULL DEFAULT false,
  rotation_period_days   integer,
  rotation_since         timestamptz,
  current_version        integer NOT NULL DEFAULT 1,
  last_rotated_at        timestamptz
);
CREATE INDEX kms_keys_account ON kms_keys (account_id, key_id);

CREATE TABLE kms_key_materials (
  key_id        uuid NOT NULL REFERENCES kms_keys ON DELETE CASCADE,
  version       integer NOT NULL,
  sealed        bytea NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (key_id, version)
);

CREATE TABLE kms_aliases (
  account_id    text NOT NULL REFERENCES accounts,
  alias_name    text NOT NULL,
  key_id        uuid NOT NULL REFERENCES kms_keys ON DELETE CASCADE,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (account_id, alias_name)
);
