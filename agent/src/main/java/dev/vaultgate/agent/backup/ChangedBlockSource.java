package dev.vaultgate.agent.backup;

import dev.vaultgate.vault.backup.ChangedExtents;
import io.vertx.core.Future;

/** Which areas of a disk changed since an earlier point in its history. */
public interface ChangedBlockSource {
  /** The wildcard "since": every area in use, as on a first backup. */
  String ALL = "*";

  /**
   * The areas changed since {@code changeId}, or every area in use for {@link #ALL}. Fails with
   * {@link dev.vaultgate.agent.vsphere.ChangeIdRejectedException} when the id is no longer known.
   */
  Future<ChangedExtents> changedSince(String changeId);
}
