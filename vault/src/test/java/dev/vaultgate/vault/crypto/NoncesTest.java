package dev.vaultgate.vault.crypto;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NoncesTest {
  private static final HexFormat HEX = HexFormat.of();

  /** The first {@code n} nonces of a thread that has sealed nothing yet, so the first is a fresh draw. */
  private static List<byte[]> firstNoncesOfANewThread(int n) throws InterruptedException {
    AtomicReference<List<byte[]>> result = new AtomicReference<>();
    Thread t = new Thread(() -> {
      List<byte[]> nonces = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte[] nonce = new byte[Aead.NONCE_BYTES];
        Nonces.next(nonce, 0);
        nonces.add(nonce);
      }
      result.set(nonces);
    });
    t.start();
    t.join();
    return result.get();
  }

  @Test
  void noncesOfOneThreadNeverRepeatAcrossManyDraws() throws InterruptedException {
    List<byte[]> nonces = firstNoncesOfANewThread(Nonces.PER_DRAW * 40);
    Set<String> seen = new HashSet<>();
    for (byte[] nonce : nonces) {
      assertTrue(seen.add(HEX.formatHex(nonce)), "repeated nonce " + HEX.formatHex(nonce));
    }
  }

  @Test
  void betweenDrawsTheLast32BitsCountUpAndTheFirst64StayThenANewDrawChangesThem() throws InterruptedException {
    List<byte[]> nonces = firstNoncesOfANewThread(Nonces.PER_DRAW + 1);
    byte[] first = nonces.get(0);
    byte[] expected = new byte[Aead.NONCE_BYTES];
    for (int i = 0; i < Nonces.PER_DRAW; i++) {
      Nonces.countUp(first, i, expected, 0);
      assertArrayEquals(expected, nonces.get(i), "nonce " + i + " of the draw");
    }
    byte[] nextDraw = nonces.get(Nonces.PER_DRAW);
    assertFalse(Arrays.equals(first, 0, 8, nextDraw, 0, 8), "the nonce after " + Nonces.PER_DRAW + " is a fresh draw");
  }

  @Test
  void theCounterWrapsWithinItsOwn32Bits() {
    byte[] base = HEX.parseHex("0102030405060708fffffffe");
    byte[] out = new byte[Aead.NONCE_BYTES + 3];
    Nonces.countUp(base, 3, out, 3);
    assertEquals("0000000102030405060708" + "00000001", HEX.formatHex(out));
  }

  @Test
  void twoThreadsDrawDifferentNonces() throws InterruptedException {
    Set<String> a = new HashSet<>();
    for (byte[] nonce : firstNoncesOfANewThread(Nonces.PER_DRAW * 2)) {
      a.add(HEX.formatHex(nonce));
    }
    for (byte[] nonce : firstNoncesOfANewThread(Nonces.PER_DRAW * 2)) {
      assertFalse(a.contains(HEX.formatHex(nonce)), "both threads drew " + HEX.formatHex(nonce));
    }
  }

  @Test
  void sealedObjectsCarryDistinctNoncesAndStillOpen() {
    byte[] key = new byte[32];
    byte[] aad = {1};
    byte[] plaintext = "the same plaintext".getBytes();
    byte[] one = Aead.seal(key, plaintext, aad);
    byte[] two = Aead.seal(key, plaintext, aad);
    assertFalse(Arrays.equals(one, 0, Aead.NONCE_BYTES, two, 0, Aead.NONCE_BYTES), "two seals share a nonce");
    assertArrayEquals(plaintext, Aead.open(key, one, aad));
    assertArrayEquals(plaintext, Aead.open(key, two, aad));
  }
}
