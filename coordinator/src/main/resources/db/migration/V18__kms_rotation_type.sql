-- ListKeyRotations (kms/): each material version after the first is a rotation, AUTOMATIC (made by
-- PgKmsKeyStore.rotateIfDue once the period passed) or ON_DEMAND (RotateKeyOnDemand). Versions made before this
-- column existed have none: they are listed without a RotationType. Version 1 (the key's first material) has none.
ALTER TABLE kms_key_materials ADD COLUMN rotation_type text CHECK (rotation_type IN ('AUTOMATIC', 'ON_DEMAND'));
