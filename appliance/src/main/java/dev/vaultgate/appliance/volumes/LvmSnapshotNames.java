package dev.vaultgate.appliance.volumes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of the LVM snapshots backups take, and which snapshots are leftovers. Pure.
 *
 * <p>A snapshot is named {@code <origin>-vaultgate-<job>}, {@code <job>} being 32 lower-case hex digits of the job id
 * (a coordinator's job id is a UUID: its digits without the dashes; any other id: the first 32 hex digits of its
 * SHA-256). So a name is unique per job even across gateway restarts (the old {@code -vaultgate-job-N} restarted at 1
 * and collided with what a dead gateway left), a resumed job finds its own dead run's name, and an operator's own
 * snapshot named alike ({@code data-vaultgate-monday}) never matches. The origin part is shortened to keep within
 * LVM's and device-mapper's name limits.
 */
public final class LvmSnapshotNames {
  static final String MARKER = "vaultgate-";
  /** LVM refuses a {@code vg/lv} of 128 characters or more ("length 128 is not supported", lvm2 2.03 here). */
  static final int MAX_FULL_NAME = 127;
  /** device-mapper names hold at most 127 characters; an active snapshot's COW device is {@code vg-lv-cow}, dashes doubled. */
  static final int MAX_DM_NAME = 127;
  private static final String COW_SUFFIX = "-cow";
  private static final Pattern NAME = Pattern.compile("(?:(.*)-)?vaultgate-([0-9a-f]{32})");
  /** Before job ids were used: {@code <origin>-vaultgate-job-N}, N from the appliance's job board. */
  private static final Pattern LEGACY = Pattern.compile("(.+)-vaultgate-job-[0-9]+");
  private static final Pattern UUID_FORM = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private LvmSnapshotNames() {
  }

  /** An LV as {@code lvs} lists it; {@code origin} is empty unless it is a snapshot. */
  public record ListedLv(String vg, String lv, String origin) {
    public String fullName() {
      return vg + "/" + lv;
    }
  }

  /** The 32 hex digits that stand for job {@code jobId} in a snapshot name. */
  static String token(String jobId) {
    if (UUID_FORM.matcher(jobId).matches()) {
      return jobId.replace("-", "").toLowerCase(Locale.ROOT);
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(jobId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 32);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** The name of the snapshot job {@code jobId} takes of {@code vg/origin}. */
  public static String snapshotName(String vg, String origin, String jobId) {
    String suffix = MARKER + token(jobId);
    String prefix = origin;
    while (!prefix.isEmpty() && !fits(vg, prefix + "-" + suffix)) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    String name = prefix.isEmpty() ? suffix : prefix + "-" + suffix;
    if (!fits(vg, name)) {
      throw new IllegalArgumentException("volume group name " + vg + " is too long for a snapshot name within LVM's limits");
    }
    return name;
  }

  private static boolean fits(String vg, String lv) {
    return vg.length() + 1 + lv.length() <= MAX_FULL_NAME
        && dmEscape(vg).length() + 1 + dmEscape(lv).length() + COW_SUFFIX.length() <= MAX_DM_NAME;
  }

  private static String dmEscape(String name) {
    return name.replace("-", "--");
  }

  /**
   * Whether LV {@code lv} with origin {@code origin} is a snapshot a Vaultgate backup took: a snapshot (it has an
   * origin) named with the exact marker and a job's 32 hex digits, after its origin's name or a shortened start of it
   * (or an old {@code <origin>-vaultgate-job-N}).
   */
  public static boolean isVaultgateSnapshot(String lv, String origin) {
    if (origin == null || origin.isEmpty()) {
      return false; // not a snapshot: never ours to remove, whatever its name
    }
    Matcher m = NAME.matcher(lv);
    if (m.matches()) {
      String prefix = m.group(1);
      return prefix == null || (!prefix.isEmpty() && origin.startsWith(prefix));
    }
    Matcher legacy = LEGACY.matcher(lv);
    return legacy.matches() && legacy.group(1).equals(origin);
  }

  /** The Vaultgate snapshots among {@code lvs} that no running job uses ({@code inUse}: {@code vg/lv} names). */
  public static List<ListedLv> leftovers(List<ListedLv> lvs, Set<String> inUse) {
    List<ListedLv> out = new ArrayList<>();
    for (ListedLv l : lvs) {
      if (isVaultgateSnapshot(l.lv(), l.origin()) && !inUse.contains(l.fullName())) {
        out.add(l);
      }
    }
    return out;
  }
}
