package dev.vaultgate.vault.crypto;

/**
 * The 96-bit AES-GCM nonces of one thread: a fresh random nonce from the JDK's SecureRandom every
 * {@value #PER_DRAW} seals, and between draws that nonce with its last 32 bits counted up (wrapping within those 32
 * bits). This is the fixed-field and invocation-field construction of NIST SP 800-38D 8.2.1 with a random fixed
 * field, redrawn often: two nonces can only repeat if two draws agree in their first 64 bits and land within
 * {@value #PER_DRAW} of each other in the last 32, far less likely than two of as many independent random nonces
 * agreeing. Why not a draw per seal: the JDK's default SecureRandom mixes every call through SHA1PRNG, and tens of
 * thousands of 12-byte calls per backup cost the JIT a third of a CPU-second to compile and more to run. Why redraw at
 * all instead of counting for ever: a counter lives in memory, and a virtual machine restored from a snapshot would
 * count the same values again; a draw every few hundred seals bounds that to one short run.
 */
final class Nonces {
  static final int PER_DRAW = 256;

  private static final ThreadLocal<Nonces> PER_THREAD = ThreadLocal.withInitial(Nonces::new);

  private final byte[] base = new byte[Aead.NONCE_BYTES];
  private int used = PER_DRAW;

  private Nonces() {
  }

  /** Writes the next nonce of this thread into {@code out[at, at+12)}. */
  static void next(byte[] out, int at) {
    PER_THREAD.get().writeNext(out, at);
  }

  private void writeNext(byte[] out, int at) {
    if (used == PER_DRAW) {
      Secrets.fill(base, 0, base.length);
      used = 0;
    }
    countUp(base, used++, out, at);
  }

  /** Writes {@code base} with {@code by} added to its last 32 bits (wrapping within them) into {@code out[at, at+12)}. */
  static void countUp(byte[] base, int by, byte[] out, int at) {
    System.arraycopy(base, 0, out, at, 8);
    int counter = ((base[8] & 0xff) << 24 | (base[9] & 0xff) << 16 | (base[10] & 0xff) << 8 | (base[11] & 0xff)) + by;
    out[at + 8] = (byte) (counter >>> 24);
    out[at + 9] = (byte) (counter >>> 16);
    out[at + 10] = (byte) (counter >>> 8);
    out[at + 11] = (byte) counter;
  }
}
