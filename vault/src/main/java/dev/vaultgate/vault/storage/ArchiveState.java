package dev.vaultgate.vault.storage;

import java.time.Instant;

/**
 * Where an object's bytes are, as far as reading them goes.
 *
 * @param storageClass the object's storage class as the server names it ({@code STANDARD} when it names none)
 * @param archived whether the class keeps the bytes offline: a GET is refused until a restore made a readable copy
 *                 (S3's GLACIER and DEEP_ARCHIVE; not GLACIER_IR, nor a Ceph placement class)
 * @param restoreInProgress a restore was asked for and is still running
 * @param restoredUntil when the readable copy of an archived object made by a finished restore expires, else null
 */
public record ArchiveState(String storageClass, boolean archived, boolean restoreInProgress, Instant restoredUntil) {
  public static final String STANDARD = "STANDARD";

  /** An object stored where every GET reads it. */
  public static ArchiveState online(String storageClass) {
    return new ArchiveState(storageClass == null ? STANDARD : storageClass, false, false, null);
  }

  /** Whether a GET reads the object now. */
  public boolean readable() {
    return !archived || (!restoreInProgress && restoredUntil != null);
  }

  /** Whether S3 keeps objects of this class offline until restored (GLACIER, DEEP_ARCHIVE). */
  public static boolean archiveClass(String storageClass) {
    return "GLACIER".equals(storageClass) || "DEEP_ARCHIVE".equals(storageClass);
  }
}
