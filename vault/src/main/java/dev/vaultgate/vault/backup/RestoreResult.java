package dev.vaultgate.vault.backup;

import java.util.List;

/**
 * What a restore did: the disk's size, the bytes fetched from the vault and written to the target, and, when it was
 * asked to skip damaged chunks ({@link RestoreJob.Options#skipDamaged}), the ranges it left as zeros.
 */
public record RestoreResult(String recoveryPointId, String target, long size, long bytesFetched, long bytesWritten,
                            long chunks, double seconds, List<DamagedRange> damaged) {
  public RestoreResult {
    damaged = List.copyOf(damaged);
  }

  /** Bytes of the disk that could not be restored and read as zeros. */
  public long damagedBytes() {
    return damaged.stream().mapToLong(DamagedRange::length).sum();
  }

  /** Bytes {@code [offset, offset + length)} of the disk left as zeros, and why. */
  public record DamagedRange(long offset, long length, String why) {
  }
}
