package dev.vaultgate.vault.crypto;

import javax.crypto.spec.SecretKeySpec;

/**
 * Runs AES-GCM and HMAC-SHA256 many times on small throwaway inputs so that the JIT compiles them, with
 * their CPU intrinsics (AES-NI, CLMUL for GHASH, SHA extensions), before the first real chunk: until then
 * GHASH runs in plain Java and a restore decrypts at a fraction of its speed. Small pieces raise the
 * invocation counts that trigger compilation at little cost (tens of milliseconds).
 */
public final class CryptoWarmup {
  private static final int ROUNDS = 6000;
  private static final int PIECE = 1024;

  private CryptoWarmup() {
  }

  public static void run() {
    byte[] key = new byte[32];
    SecretKeySpec aes = new SecretKeySpec(key, "AES");
    VaultKeys keys = VaultKeys.fromMaterial(new byte[VaultKeys.MATERIAL_BYTES]);
    byte[] plain = new byte[PIECE];
    byte[] aad = new byte[33];
    for (int i = 0; i < ROUNDS; i++) {
      plain[i % PIECE] = (byte) i;
      byte[] sealed = Aead.seal(aes, plain, 0, PIECE, aad);
      Aead.open(aes, sealed, 0, sealed.length, aad);
      keys.chunkId(plain, 0, PIECE);
    }
  }
}
