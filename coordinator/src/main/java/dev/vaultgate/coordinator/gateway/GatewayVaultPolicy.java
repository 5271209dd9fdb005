package dev.vaultgate.coordinator.gateway;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The bucket policy that makes a gateway's S3 credentials write-only for the vaults' bucket: the gateway may put
 * new objects (and their Object Lock retention, which S3 only lets it lengthen), read them (restores) and list;
 * an explicit Deny keeps it from every way of destroying data: deleting objects or versions, bypassing
 * governance retention, legal holds, and changing the bucket's versioning, lifecycle, lock or policy. With the
 * bucket versioned (Object Lock implies it) an overwrite only adds a version: the earlier one stays readable by the
 * owner. Deletion and garbage collection are the coordinator's, with the owner's credentials.
 *
 * <p>One exception: the vault engine's lock objects ({@code <vault>/locks/<id>}), which a backup writes while it
 * runs and deletes when it ends, may be deleted. They hold no backup data. The coordinator's vaults lie at {@code
 * <storage root>/<12-digit account>/<vault name>/}; their locks are matched by {@code <root>/????????????/*}{@code
 * /locks/*}, a pattern that also holds under Ceph RGW's matcher, where {@code *} stops at the first character that
 * can follow it (so no {@code *}{@code /locks/*} there: it would never match). A single vault (the appliance's own)
 * is named by its prefix.
 *
 * <p>{@code ownerPrincipal}, when given, is allowed everything: on Ceph RGW an object belongs to the user who
 * wrote it, and without this statement the owner could not read what the gateway wrote (AWS S3 with the default
 * BucketOwnerEnforced ownership does not need it).
 */
public final class GatewayVaultPolicy {

  /** What the gateway may do on objects. Restores need GetObject; lengthening retention needs PutObjectRetention. */
  static final List<String> GATEWAY_OBJECT_ACTIONS = List.of("s3:PutObject", "s3:GetObject", "s3:GetObjectVersion",
      "s3:PutObjectRetention", "s3:GetObjectRetention", "s3:GetObjectLegalHold");
  /** What the gateway may do on the bucket: list it, and see whether it has Object Lock. */
  static final List<String> GATEWAY_BUCKET_ACTIONS = List.of("s3:ListBucket", "s3:ListBucketVersions",
      "s3:GetBucketObjectLockConfiguration");
  /** On lock objects only. */
  static final List<String> LOCK_ACTIONS = List.of("s3:DeleteObject", "s3:DeleteObjectVersion");
  /** Never, whatever else grants it (an IAM user policy on AWS): an explicit Deny wins. */
  static final List<String> NEVER = List.of("s3:BypassGovernanceRetention", "s3:PutObjectLegalHold",
      "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration",
      "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:DeleteBucket");
  /** Never outside lock objects. */
  static final List<String> NEVER_BUT_LOCKS = List.of("s3:DeleteObject", "s3:DeleteObjectVersion");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final Pattern PRINCIPAL = Pattern.compile("arn:aws:iam::[A-Za-z0-9_-]*:(user|role)/[A-Za-z0-9+=,.@_/-]{1,128}|\\*");

  private GatewayVaultPolicy() {
  }

  /**
   * The policy document (JSON) for {@code bucket}. {@code vaultRoots}: key prefixes of coordinator storage roots in
   * it ({@code ""}: the bucket's top); {@code vaults}: prefixes of single vaults. IllegalArgumentException naming a
   * malformed bucket, prefix or principal.
   */
  public static String forBucket(String bucket, List<String> vaultRoots, List<String> vaults, String gatewayPrincipal,
      String ownerPrincipal) {
    if (bucket == null || !BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException("bucket " + bucket + ": expected an S3 bucket name (3-63 lower-case letters,"
          + " digits, '.', '-')");
    }
    check("gateway principal", gatewayPrincipal);
    if ("*".equals(gatewayPrincipal)) {
      throw new IllegalArgumentException("gateway principal *: name the gateway's user, e.g. arn:aws:iam:::user/vaultgate-gateway");
    }
    if (ownerPrincipal != null) {
      check("owner principal", ownerPrincipal);
    }
    String bucketArn = "arn:aws:s3:::" + bucket;
    String objects = bucketArn + "/*";
    List<String> locks = new java.util.ArrayList<>();
    for (String root : vaultRoots) {
      String r = trimSlashes(root);
      if (!r.isEmpty() && !PREFIX.matcher(r).matches()) {
        throw new IllegalArgumentException("vault root " + root + ": expected a key prefix (letters, digits, '.', '_', '-', '/')");
      }
      locks.add(bucketArn + "/" + (r.isEmpty() ? "" : r + "/") + "????????????/*/locks/*");
    }
    for (String vault : vaults) {
      String v = trimSlashes(vault);
      if (!PREFIX.matcher(v).matches()) {
        throw new IllegalArgumentException("vault " + vault + ": expected a key prefix (letters, digits, '.', '_', '-', '/')");
      }
      locks.add(bucketArn + "/" + v + "/locks/*");
    }
    if (locks.isEmpty()) {
      throw new IllegalArgumentException("no vault root and no vault: name where the vaults lie in bucket " + bucket);
    }
    StringBuilder sb = new StringBuilder("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n");
    if (ownerPrincipal != null) {
      sb.append(statement("VaultOwnerKeepsEverything", "Allow", ownerPrincipal, List.of("s3:*"), List.of(bucketArn, objects)))
          .append(",\n");
    }
    sb.append(statement("GatewayWritesAndReadsObjects", "Allow", gatewayPrincipal, GATEWAY_OBJECT_ACTIONS, List.of(objects)))
        .append(",\n")
        .append(statement("GatewayListsTheBucket", "Allow", gatewayPrincipal, GATEWAY_BUCKET_ACTIONS, List.of(bucketArn)))
        .append(",\n")
        .append(statement("GatewayRemovesItsVaultLocks", "Allow", gatewayPrincipal, LOCK_ACTIONS, locks))
        .append(",\n")
        .append(statement("GatewayNeverDestroys", "Deny", gatewayPrincipal, NEVER, List.of(bucketArn, objects)))
        .append(",\n")
        .append(statement("GatewayNeverDeletesData", "Deny", gatewayPrincipal, NEVER_BUT_LOCKS, locks)
            .replace("\"Resource\"", "\"NotResource\""))
        .append("\n  ]\n}\n");
    return sb.toString();
  }

  private static String trimSlashes(String prefix) {
    String p = prefix == null ? "" : prefix;
    while (p.startsWith("/")) p = p.substring(1);
    while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
    return p;
  }

  private static void check(String what, String principal) {
    if (principal == null || !PRINCIPAL.matcher(principal).matches()) {
      throw new IllegalArgumentException(what + " " + principal + ": expected an IAM ARN, arn:aws:iam::ACCOUNT:user/NAME"
          + " (on Ceph RGW arn:aws:iam:::user/UID)");
    }
  }

  private static String statement(String sid, String effect, String principal, List<String> actions, List<String> resources) {
    return "    {\"Sid\": \"" + sid + "\", \"Effect\": \"" + effect + "\", \"Principal\": {\"AWS\": [\"" + principal
        + "\"]},\n     \"Action\": " + list(actions) + ",\n     \"Resource\": " + list(resources) + "}";
  }

  private static String list(List<String> items) {
    return items.stream().map(i -> "\"" + i + "\"").collect(Collectors.joining(", ", "[", "]"));
  }
}
