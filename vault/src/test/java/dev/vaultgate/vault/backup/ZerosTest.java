package dev.vaultgate.vault.backup;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZerosTest {
  @Test
  void aSingleNonZeroByteAnywhereInTheRangeIsSeenAndBytesOutsideItAreNot() {
    for (ByteBuffer buf : new ByteBuffer[] {ByteBuffer.allocateDirect(200), ByteBuffer.allocate(200)}) {
      int off = 7;
      int len = 101; // three 32-byte steps and a 5-byte tail
      assertTrue(Zeros.allZero(buf, off, len));
      for (int i = 0; i < buf.capacity(); i++) {
        buf.put(i, (byte) 0x80);
        boolean inside = i >= off && i < off + len;
        if (inside) {
          assertFalse(Zeros.allZero(buf, off, len), "non-zero byte at " + i);
        } else {
          assertTrue(Zeros.allZero(buf, off, len), "byte at " + i + " lies outside the range");
        }
        buf.put(i, (byte) 0);
      }
      assertTrue(Zeros.allZero(buf, off, 0), "an empty range is all zeros");
      assertTrue(buf.position() == 0 && buf.limit() == buf.capacity(), "position and limit are left alone");
    }
  }
}
