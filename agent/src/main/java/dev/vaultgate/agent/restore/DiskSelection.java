package dev.vaultgate.agent.restore;

import dev.vaultgate.agent.vsphere.VmHardware;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which disks of a VM backup a restore writes, from the {@code DisksToRestore} value of AWS's VMware restore metadata:
 * a JSON array (as a string) of {@code {"DiskId": "2000", "Label": "Hard disk 1"}} objects. A disk is matched by
 * {@code DiskId} (its device key at backup time, or its stable name such as {@code scsi0:1}) and, when no
 * {@code DiskId} is given, by {@code Label}; a plain string element is matched against all three. Pure logic.
 */
public final class DiskSelection {
  private DiskSelection() {
  }

  /**
   * The names ({@link VmHardware#diskName}) of the disks asked for, in the backup's disk order; null when
   * {@code disksToRestore} is null or blank (every disk).
   *
   * @throws IllegalArgumentException naming what was not understood or not found, and the disks there are
   */
  public static List<String> parse(String disksToRestore, VmHardware hardware, List<String> backupDisks) {
    if (disksToRestore == null || disksToRestore.isBlank()) {
      return null;
    }
    JsonArray asked;
    try {
      asked = new JsonArray(disksToRestore);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("restore metadata DisksToRestore must be a JSON array such as "
          + "[{\"DiskId\":\"2000\",\"Label\":\"Hard disk 1\"}], got " + disksToRestore);
    }
    Set<String> chosen = new LinkedHashSet<>();
    List<String> missing = new ArrayList<>();
    for (Object o : asked) {
      String match;
      String shown;
      if (o instanceof JsonObject d) {
        Object id = d.getValue("DiskId");
        String label = d.getValue("Label") instanceof String l ? l : null;
        match = id != null ? byId(String.valueOf(id), hardware, backupDisks) : label != null ? byLabel(label, hardware, backupDisks) : null;
        shown = d.encode();
        if (id == null && label == null) {
          throw new IllegalArgumentException("restore metadata DisksToRestore: " + shown + " has neither DiskId nor Label");
        }
      } else if (o instanceof String s) {
        match = byId(s, hardware, backupDisks);
        match = match != null ? match : byLabel(s, hardware, backupDisks);
        shown = "'" + s + "'";
      } else {
        throw new IllegalArgumentException("restore metadata DisksToRestore: " + o + " is neither a disk object nor a string");
      }
      if (match == null) {
        missing.add(shown);
      } else {
        chosen.add(match);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("restore metadata DisksToRestore names " + String.join(", ", missing)
          + ", which the backup does not have (it has " + describe(hardware, backupDisks) + ")");
    }
    if (chosen.isEmpty()) {
      throw new IllegalArgumentException("restore metadata DisksToRestore names no disk: leave it out to restore them all");
    }
    return backupDisks.stream().filter(chosen::contains).toList();
  }

  private static String byId(String id, VmHardware hw, List<String> backupDisks) {
    for (String name : backupDisks) {
      VmHardware.Disk d = hw.disk(name);
      if (name.equals(id) || d != null && String.valueOf(d.key()).equals(id)) {
        return name;
      }
    }
    return null;
  }

  private static String byLabel(String label, VmHardware hw, List<String> backupDisks) {
    for (String name : backupDisks) {
      VmHardware.Disk d = hw.disk(name);
      if (d != null && label.equals(d.label())) {
        return name;
      }
    }
    return null;
  }

  private static String describe(VmHardware hw, List<String> backupDisks) {
    List<String> out = new ArrayList<>();
    for (String name : backupDisks) {
      VmHardware.Disk d = hw.disk(name);
      out.add(d == null ? name : name + " (DiskId " + d.key() + ", Label '" + d.label() + "')");
    }
    return String.join(", ", out);
  }
}
