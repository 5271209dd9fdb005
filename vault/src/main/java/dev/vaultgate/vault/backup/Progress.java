package dev.vaultgate.vault.backup;

/** Told how far a long job is; called on the job's event-loop context, so it must not block. */
@FunctionalInterface
public interface Progress {
  Progress NONE = (done, total) -> { };

  void update(long bytesDone, long bytesTotal);
}
