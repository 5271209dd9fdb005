package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.rules.RuleViolation;
import dev.vaultgate.coordinator.rules.VaultAccessPolicy;
import dev.vaultgate.coordinator.rules.VaultLock;
import dev.vaultgate.coordinator.wire.ApiException;

/**
 * Whether a recovery point may be copied into a destination vault, as plain rules: the vault must
 * exist with exactly that ARN (vault names are unique per account across the regions that share
 * one database), must not be the source vault, must (in another account) have an access policy that
 * allows the source account {@code backup:CopyIntoBackupVault} (AWS's "Access Denied trying to call
 * AWS Backup service" otherwise), and its lock must accept the copy's retention.
 */
final class CopyDestinations {
  static final String COPY_INTO = "backup:CopyIntoBackupVault";

  private CopyDestinations() {}

  /**
   * Why the copy cannot run, or null when it can.
   *
   * @param foundArn the ARN of the destination account's vault of that name, or null when it has none
   * @param lock that vault's lock (null: none)
   * @param accessPolicy that vault's access policy document (null: none)
   */
  static String refusal(String sourceAccount, String sourceVaultArn, String destinationArn, String foundArn,
      VaultLock lock, String accessPolicy, Long deleteAfterDays) {
    String[] d = destinationArn.split(":", 7);
    if (destinationArn.equals(sourceVaultArn)) {
      return "A recovery point cannot be copied into its own vault (" + destinationArn + ")";
    }
    if (foundArn == null || !foundArn.equals(destinationArn)) {
      return "Destination backup vault " + d[6] + " does not exist (" + destinationArn + ")";
    }
    if (!d[4].equals(sourceAccount)) {
      boolean allowed;
      try {
        allowed = accessPolicy != null
            && RecoveryPointOperations.policy(accessPolicy).allows(COPY_INTO, sourceAccount, destinationArn);
      } catch (ApiException | RuleViolation e) {
        allowed = false;
      }
      if (!allowed) {
        return "Access Denied trying to call AWS Backup service: the access policy of destination backup vault "
            + destinationArn + " does not allow account " + sourceAccount + " " + COPY_INTO;
      }
    }
    try {
      if (lock != null) lock.checkRetention(deleteAfterDays);
      return null;
    } catch (RuleViolation v) {
      return "Destination backup vault " + d[6] + ": " + v.getMessage();
    }
  }
}
