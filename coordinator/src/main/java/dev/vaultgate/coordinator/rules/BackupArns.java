package dev.vaultgate.coordinator.rules;

import java.util.regex.Pattern;

/** The shapes of the ARNs AWS Backup hands out. */
public final class BackupArns {

  private static final Pattern VAULT =
      Pattern.compile("^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:[a-zA-Z0-9\\-_]{2,50}$");

  private BackupArns() {}

  public static boolean isBackupVaultArn(String arn) {
    return arn != null && VAULT.matcher(arn).matches();
  }

  public static String vault(String region, String account, String name) {
    return "arn:aws:backup:" + region + ":" + account + ":backup-vault:" + name;
  }

  public static String plan(String region, String account, String planId) {
    return "arn:aws:backup:" + region + ":" + account + ":backup-plan:" + planId;
  }

  public static String recoveryPoint(String region, String account, String pointId) {
    return "arn:aws:backup:" + region + ":" + account + ":recovery-point:" + pointId;
  }

  public static String legalHold(String region, String account, String holdId) {
    return "arn:aws:backup:" + region + ":" + account + ":legal-hold:" + holdId;
  }
}
