package dev.vaultgate.agent.backup;

import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Finds VM backups in a vault by reading its manifests' metadata. Every manifest is loaded, which is fine for a
 * vault of some hundreds of points; the coordinator, which knows the points it registered, will name the previous
 * one instead.
 */
public final class VmRecoveryPoints {
  private VmRecoveryPoints() {
  }

  /** Every VM backup in the vault, complete or not, oldest first. */
  public static Future<List<VmRecoveryPoint>> all(Repository repo) {
    return repo.loadAllPoints().map(manifests -> group(manifests, m -> true));
  }

  /** The newest complete backup of the VM with this instance UUID, or null. */
  public static Future<VmRecoveryPoint> latest(Repository repo, String instanceUuid) {
    return repo.loadAllPoints().map(manifests -> {
      List<VmRecoveryPoint> points = group(manifests, m -> instanceUuid != null && instanceUuid.equals(m.instanceUuid()));
      for (int i = points.size() - 1; i >= 0; i--) {
        if (points.get(i).complete()) {
          return points.get(i);
        }
      }
      return null;
    });
  }

  /** The VM backup with this id; fails when the vault has none. */
  public static Future<VmRecoveryPoint> load(Repository repo, String backupId) {
    return repo.loadAllPoints().map(manifests -> {
      List<VmRecoveryPoint> points = group(manifests, m -> backupId.equals(m.backupId()));
      if (points.isEmpty()) {
        throw new VaultException("vault " + repo.name() + " has no VM backup " + backupId);
      }
      return points.get(0);
    });
  }

  /** The VM backup whose points carry this label value (the gateway labels them with the coordinator's ARN); fails when none does. */
  public static Future<VmRecoveryPoint> withLabel(Repository repo, String label, String value) {
    return repo.loadAllPoints().map(manifests -> {
      List<VmRecoveryPoint> points = group(manifests, m -> value != null && value.equals(m.label(label)));
      if (points.isEmpty()) {
        throw new VaultException("vault " + repo.name() + " has no VM backup with " + label + " " + value);
      }
      return points.get(points.size() - 1);
    });
  }

  static List<VmRecoveryPoint> group(List<Manifest> manifests, Predicate<VmPointMetadata> filter) {
    Map<String, Map<String, Manifest>> byBackup = new LinkedHashMap<>();
    Map<String, Map<String, VmPointMetadata>> metadata = new LinkedHashMap<>();
    for (Manifest m : manifests) {
      VmPointMetadata meta = VmPointMetadata.parse(m.metadataJson());
      if (meta == null || meta.backupId() == null || !filter.test(meta)) {
        continue;
      }
      byBackup.computeIfAbsent(meta.backupId(), k -> new LinkedHashMap<>()).put(meta.disk().name(), m);
      metadata.computeIfAbsent(meta.backupId(), k -> new LinkedHashMap<>()).put(meta.disk().name(), meta);
    }
    List<VmRecoveryPoint> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Manifest>> e : byBackup.entrySet()) {
      Map<String, VmPointMetadata> meta = metadata.get(e.getKey());
      out.add(new VmRecoveryPoint(e.getKey(), meta.values().iterator().next(), e.getValue(), meta));
    }
    out.sort(Comparator.comparingLong(VmRecoveryPoint::createdAtMillis).thenComparing(VmRecoveryPoint::backupId));
    return out;
  }
}
