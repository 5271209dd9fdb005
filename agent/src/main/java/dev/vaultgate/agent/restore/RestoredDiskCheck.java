package dev.vaultgate.agent.restore;

import dev.vaultgate.vault.format.BlockFingerprint;
import dev.vaultgate.vault.format.DiskBlocks;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks a restored disk against the checksums its recovery point recorded at backup: every block of the
 * manifest has the keyed fingerprint the backup computed from the source's bytes ({@link DiskBlocks}), and every
 * sparse block reads as zeros. No whole-disk checksum is kept in the manifest; the per-block fingerprints are a
 * finer one that costs nothing more at backup (they are computed for change detection anyway), so a restore
 * test compares them, block by block, and tells which block differs. It also answers the SHA-256 of the whole
 * restored disk, for the record. Blocking reads; run it on a worker.
 */
public final class RestoredDiskCheck {
  /** Mismatching blocks named in the result, at most. */
  private static final int NAMED = 5;

  /** Reads the restored disk (a file, a datastore file over HTTPS); same contract as a {@code DiskReader}. */
  @FunctionalInterface
  public interface Reader {
    int read(long position, byte[] buf, int off, int len) throws IOException;
  }

  /**
   * @param blocks     blocks compared (sparse ones included)
   * @param mismatched blocks whose content differs from the backup's, in order (the first {@value #NAMED})
   * @param mismatches how many differ
   */
  public record Result(String disk, long size, long blocks, List<Long> mismatched, long mismatches, String sha256) {
    public boolean ok() {
      return mismatches == 0;
    }

    public String describe() {
      return ok() ? "disk " + disk + ": all " + blocks + " blocks match the backup's checksums (" + size
          + " bytes, sha256 " + sha256 + ")"
          : "disk " + disk + ": " + mismatches + " of " + blocks + " blocks differ from the backup's checksums (first: block"
              + (mismatched.size() > 1 ? "s " : " ") + mismatched + ")";
    }
  }

  private RestoredDiskCheck() {
  }

  /**
   * {@code reader} read ahead {@code bytes} at a time: a disk read over HTTPS (the datastore) costs one request per
   * window instead of one per block. Not thread-safe; for one sequential check.
   */
  public static Reader readingAhead(Reader reader, int bytes) {
    byte[] window = new byte[bytes];
    long[] start = {-1};
    int[] filled = {0};
    return (position, buf, off, len) -> {
      if (start[0] < 0 || position < start[0] || position >= start[0] + filled[0]) {
        int n = 0;
        while (n < bytes) {
          int r = reader.read(position + n, window, n, bytes - n);
          if (r <= 0) {
            break;
          }
          n += r;
        }
        start[0] = position;
        filled[0] = n;
        if (n == 0) {
          return -1;
        }
      }
      int from = (int) (position - start[0]);
      int n = Math.min(len, filled[0] - from);
      System.arraycopy(window, from, buf, off, n);
      return n;
    };
  }

  /** Compares what {@code reader} reads, {@code disk.size()} bytes from offset 0, with {@code disk}. */
  public static Result check(DiskBlocks disk, BlockFingerprint fingerprint, Reader reader) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buf = new byte[disk.blockSize()];
    byte[] fp = new byte[DiskBlocks.FP];
    List<Long> mismatched = new ArrayList<>();
    long mismatches = 0;
    int entry = 0;
    for (long block = 0; block < disk.blockCount(); block++) {
      int len = disk.lengthOf(block);
      readFully(reader, block * disk.blockSize(), buf, len, disk.name());
      sha.update(buf, 0, len);
      boolean same;
      if (entry < disk.entryCount() && disk.blockAt(entry) == block) {
        fingerprint.fingerprint(buf, 0, len, fp, 0);
        same = disk.fingerprintEquals(entry, fp, 0);
        entry++;
      } else {
        same = zeros(buf, len);
      }
      if (!same) {
        mismatches++;
        if (mismatched.size() < NAMED) {
          mismatched.add(block);
        }
      }
    }
    return new Result(disk.name(), disk.size(), disk.blockCount(), List.copyOf(mismatched), mismatches,
        HexFormat.of().formatHex(sha.digest()));
  }

  private static void readFully(Reader reader, long position, byte[] buf, int len, String disk) throws IOException {
    int done = 0;
    while (done < len) {
      int n = reader.read(position + done, buf, done, len - done);
      if (n <= 0) {
        throw new IOException("restored disk " + disk + " ends at byte " + (position + done) + ": shorter than the backup");
      }
      done += n;
    }
  }

  private static boolean zeros(byte[] buf, int len) {
    for (int i = 0; i < len; i++) {
      if (buf[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
