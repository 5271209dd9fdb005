/**
 * Cold storage: which packs move to a vault's colder storage class when recovery points reach their
 * MoveToColdStorageAfterDays (a pack moves only when every point that needs it is cold), the moves themselves, and
 * making archived packs readable again (S3 RestoreObject, then waiting) before a restore or copy reads them.
 */
package dev.vaultgate.vault.cold;
