package dev.vaultgate.vault.backup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The zero test of a block read into a buffer, where it lies.
 *
 * <p>A loop of our own rather than {@code ByteBuffer.mismatch} against a buffer of zeros: the JDK's vectorized
 * mismatch is only fast once C2 has compiled its caller, and in a short job (an incremental backup of a warm 4 GiB
 * image takes about a second) that came after most of the image had been zero-tested in C1 code. This method is small,
 * so it is compiled early and quickly, and it tests 32 bytes per step.
 */
final class Zeros {
  /** Statically bound reads (see {@code BlockFingerprint.BUFFER_LONGS} for why not {@code ByteBuffer.getLong}). */
  private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private Zeros() {
  }

  /** Whether {@code buf[off, off+len)} (absolute indexes; position and limit are left alone) holds only zeros. */
  static boolean allZero(ByteBuffer buf, int off, int len) {
    int i = off;
    int end = off + len;
    for (; i + 32 <= end; i += 32) {
      if (((long) LONGS.get(buf, i) | (long) LONGS.get(buf, i + 8) | (long) LONGS.get(buf, i + 16)
          | (long) LONGS.get(buf, i + 24)) != 0) {
        return false;
      }
    }
    for (; i < end; i++) {
      if (buf.get(i) != 0) {
        return false;
      }
    }
    return true;
  }
}
