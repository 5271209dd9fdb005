package dev.vaultgate.agent.backup;

import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.PointHeader;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Finds VM backups in a vault by the metadata in its points' headers ({@link Repository#loadAllPointHeaders}: each
 * manifest's first frame, not its blocks), then reads the manifests of the one backup wanted. A vault holds hundreds or
 * thousands of points, each a manifest of up to hundreds of megabytes: reading them all to find one backup is what
 * this avoids.
 */
public final class VmRecoveryPoints {
  private VmRecoveryPoints() {
  }

  /** The newest complete backup of the VM with this instance UUID, or null. */
  public static Future<VmRecoveryPoint> latest(Repository repo, String instanceUuid) {
    return repo.loadAllPointHeaders().compose(headers -> {
      List<VmBackup> backups = group(headers, m -> instanceUuid != null && instanceUuid.equals(m.instanceUuid()));
      for (int i = backups.size() - 1; i >= 0; i--) {
        if (backups.get(i).complete()) {
          return load(repo, backups.get(i));
        }
      }
      return Future.succeededFuture(null);
    });
  }

  /** The VM backup with this id; fails when the vault has none. */
  public static Future<VmRecoveryPoint> load(Repository repo, String backupId) {
    return repo.loadAllPointHeaders().compose(headers -> {
      List<VmBackup> backups = group(headers, m -> backupId.equals(m.backupId()));
      if (backups.isEmpty()) {
        throw new VaultException("vault " + repo.name() + " has no VM backup " + backupId);
      }
      return load(repo, backups.get(0));
    });
  }

  /** The VM backup whose points carry this label value (the gateway labels them with the coordinator's ARN); fails when none does. */
  public static Future<VmRecoveryPoint> withLabel(Repository repo, String label, String value) {
    return repo.loadAllPointHeaders().compose(headers -> {
      List<VmBackup> backups = group(headers, m -> value != null && value.equals(m.label(label)));
      if (backups.isEmpty()) {
        throw new VaultException("vault " + repo.name() + " has no VM backup with " + label + " " + value);
      }
      return load(repo, backups.get(backups.size() - 1));
    });
  }

  /** A VM backup as the headers of its disks' points show it, before their manifests are read. */
  record VmBackup(String backupId, VmPointMetadata metadata, Map<String, PointHeader> points,
                  Map<String, VmPointMetadata> diskMetadata) {
    boolean complete() {
      return points.keySet().containsAll(metadata.diskNames());
    }
  }

  /** The points' headers grouped into VM backups, oldest first; points of no VM backup or that {@code filter} refuses are left out. */
  static List<VmBackup> group(List<PointHeader> headers, Predicate<VmPointMetadata> filter) {
    Map<String, Map<String, PointHeader>> byBackup = new LinkedHashMap<>();
    Map<String, Map<String, VmPointMetadata>> metadata = new LinkedHashMap<>();
    for (PointHeader h : headers) {
      VmPointMetadata meta = VmPointMetadata.parse(h.metadataJson());
      if (meta == null || meta.backupId() == null || !filter.test(meta)) {
        continue;
      }
      byBackup.computeIfAbsent(meta.backupId(), k -> new LinkedHashMap<>()).put(meta.disk().name(), h);
      metadata.computeIfAbsent(meta.backupId(), k -> new LinkedHashMap<>()).put(meta.disk().name(), meta);
    }
    List<VmBackup> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, PointHeader>> e : byBackup.entrySet()) {
      Map<String, VmPointMetadata> meta = metadata.get(e.getKey());
      out.add(new VmBackup(e.getKey(), meta.values().iterator().next(), e.getValue(), meta));
    }
    out.sort(Comparator.comparingLong((VmBackup b) -> b.metadata().createdAtMillis()).thenComparing(VmBackup::backupId));
    return out;
  }

  /**
   * The backup with its disks' manifests read. When one cannot be read, the others are closed once all have ended
   * (their block tables may have spilled to temporary files).
   */
  static Future<VmRecoveryPoint> load(Repository repo, VmBackup backup) {
    Map<String, Manifest> manifests = new ConcurrentHashMap<>();
    return Future.join(backup.points().entrySet().stream()
            .map(e -> repo.loadPoint(e.getValue().id()).map(m -> manifests.put(e.getKey(), m))).toList())
        .onFailure(e -> manifests.values().forEach(m -> m.disks().forEach(DiskBlocks::close)))
        .map(v -> new VmRecoveryPoint(backup.backupId(), backup.metadata(), manifests, backup.diskMetadata()));
  }
}
