package dev.vaultgate.coordinator.agent;

/**
 * Where a vault's data lives, from the coordinator's {@code vaultStorageRoot}: the root's path
 * with {@code /<accountId>/<vaultName>} appended, its query (an S3 endpoint and region) kept, in
 * the form the vault module reads ({@code file:///...}, {@code s3://bucket/prefix?endpoint=...}).
 */
public final class VaultLocations {

  private VaultLocations() {}

  public static String of(String root, String accountId, String vaultName) {
    int q = root.indexOf('?');
    String base = q < 0 ? root : root.substring(0, q);
    String query = q < 0 ? "" : root.substring(q);
    while (base.endsWith("/") && !base.endsWith("://") && !base.equals("file:///")) {
      base = base.substring(0, base.length() - 1);
    }
    String separator = base.endsWith("/") ? "" : "/";
    return base + separator + accountId + "/" + vaultName + query;
  }

  /**
   * The location of a vault by its ARN (the account is the ARN's): under {@code root} when the ARN is of
   * {@code region}, else under the root {@code regionStorage} gives its region; null for a region with none.
   */
  public static String ofArn(String region, String root, java.util.Map<String, String> regionStorage, String vaultArn) {
    String[] p = vaultArn.split(":", 7);
    if (p.length != 7) return null;
    String r = p[3].equals(region) ? root : regionStorage.get(p[3]);
    return r == null ? null : of(r, p[4], p[6]);
  }

  /** The vault name at the end of a backup vault ARN ({@code arn:aws:backup:r:a:backup-vault:name}). */
  static String vaultName(String vaultArn) {
    String[] p = vaultArn.split(":", 7);
    return p.length == 7 ? p[6] : vaultArn;
  }
}
