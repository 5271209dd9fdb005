package dev.vaultgate.coordinator.backup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The metadata a restore job runs with: the recovery point's own restore metadata (what
 * GetRecoveryPointRestoreMetadata answers) with the caller's StartRestoreJob Metadata over it, so a user who
 * names only a target (a VMName, a TargetDirectory) restores the point as it was backed up. Pure: no I/O.
 *
 * <p>For the resource types a gateway restores (VirtualMachine, LocalVolume) a caller's key must mean something
 * there: one of AWS's VMware restore settings, the gateway's file target, or a key of the point's own metadata;
 * the gateway's {@code vaultgate:*} keys say which backup the point is, so a caller may give them back only
 * unchanged. Other resource types are merged without checks (no gateway restores them).
 */
public final class RestoreMetadata {

  /** AWS's restore settings for a VMware VM, and the gateway's own file target ({@code RestoreTo=LocalFile}). */
  static final Set<String> VM_KEYS = Set.of("RestoreTo", "HypervisorArn", "VMName", "VMPath", "VMFolder",
      "ComputeResourceName", "VMDatastore", "PowerOn", "DisksToRestore", "TargetDirectory");
  /** A local volume restores to a file in a directory on its gateway. */
  static final Set<String> LOCAL_VOLUME_KEYS = Set.of("RestoreTo", "TargetDirectory");
  static final String GATEWAY_PREFIX = "vaultgate:";

  private RestoreMetadata() {}

  /** A caller's key or value that makes no sense for the point; the message names the key. */
  public static final class InvalidKeyException extends IllegalArgumentException {
    InvalidKeyException(String message) {
      super(message);
    }
  }

  /**
   * The point's metadata with the caller's over it (the caller's keys win).
   *
   * @throws InvalidKeyException naming the first key (in key order) that makes no sense for a point of {@code resourceType}
   */
  public static Map<String, String> merge(String resourceType, Map<String, String> point, Map<String, String> caller) {
    Map<String, String> own = point == null ? Map.of() : point;
    Map<String, String> given = caller == null ? Map.of() : caller;
    Set<String> known = switch (resourceType == null ? "" : resourceType) {
      case "VirtualMachine" -> VM_KEYS;
      case "LocalVolume" -> LOCAL_VOLUME_KEYS;
      default -> null;
    };
    if (known != null) {
      for (String key : new TreeSet<>(given.keySet())) {
        check(resourceType, known, own, key, given.get(key));
      }
    }
    Map<String, String> merged = new LinkedHashMap<>(own);
    merged.putAll(given);
    return merged;
  }

  private static void check(String type, Set<String> known, Map<String, String> own, String key, String value) {
    if (key.startsWith(GATEWAY_PREFIX)) {
      if (!own.containsKey(key)) {
        throw new InvalidKeyException("Metadata key " + key + " is not in the recovery point's restore metadata: the"
            + " vaultgate: keys come from the backup and cannot be added");
      }
      if (!own.get(key).equals(value)) {
        throw new InvalidKeyException("Metadata key " + key + " is '" + own.get(key) + "' for this recovery point and"
            + " cannot be changed (got '" + value + "'): leave it out");
      }
      return;
    }
    if (!known.contains(key) && !own.containsKey(key)) {
      String hint = known.stream().filter(k -> k.equalsIgnoreCase(key)).findFirst()
          .or(() -> "Datastore".equalsIgnoreCase(key) && known.contains("VMDatastore") ? Optional.of("VMDatastore")
              : Optional.empty())
          .map(k -> " (did you mean " + k + "?)").orElse("");
      throw new InvalidKeyException("Metadata key " + key + " is not a restore setting of a " + type + " recovery point"
          + hint + "; the settings are " + new TreeSet<>(known));
    }
    switch (key) {
      case "RestoreTo" -> {
        List<String> targets = "LocalVolume".equals(type) ? List.of("LocalFile") : List.of("VMware", "LocalFile");
        if (targets.stream().noneMatch(t -> t.equalsIgnoreCase(value))) {
          throw new InvalidKeyException("Metadata key RestoreTo must be " + String.join(" or ", targets) + " for a " + type
              + " recovery point, got '" + value + "'");
        }
      }
      case "PowerOn" -> {
        String v = value == null ? "" : value.toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
          throw new InvalidKeyException("Metadata key PowerOn must be true or false, got '" + value + "'");
        }
      }
      case "TargetDirectory" -> {
        if (value == null || !value.startsWith("/")) {
          throw new InvalidKeyException("Metadata key TargetDirectory must be an absolute directory on the gateway, got '"
              + value + "'");
        }
      }
      case "VMName" -> {
        if (value == null || value.isBlank()) {
          throw new InvalidKeyException("Metadata key VMName is empty: name the new VM, or leave the key out to use the"
              + " backed-up VM's name");
        }
      }
      default -> { }
    }
  }
}
