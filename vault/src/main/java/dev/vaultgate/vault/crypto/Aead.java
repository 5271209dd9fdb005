package dev.vaultgate.vault.crypto;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;

/**
 * AES-256-GCM with a fresh 96-bit nonce ({@link Nonces}: random, counted up between draws): sealed = nonce ||
 * ciphertext || 128-bit tag.
 * One {@link Cipher} per thread: Cipher objects are not thread-safe and costly to create.
 */
public final class Aead {
  public static final int NONCE_BYTES = 12;
  public static final int TAG_BYTES = 16;
  public static final int OVERHEAD = NONCE_BYTES + TAG_BYTES;

  private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM is not available in this JDK", e);
    }
  });

  private Aead() {
  }

  public static byte[] seal(byte[] key, byte[] plaintext, byte[] aad) {
    return seal(new SecretKeySpec(key, "AES"), plaintext, 0, plaintext.length, aad);
  }

  /** Seals {@code plaintext[off, off+len)} and returns nonce || ciphertext || tag. */
  public static byte[] seal(SecretKeySpec key, byte[] plaintext, int off, int len, byte[] aad) {
    return sealAfter(NO_PREFIX, key, plaintext, off, len, aad);
  }

  /** No prefix before the nonce (generation 0); package-wide, so sealing allocates none per call. */
  static final byte[] NO_PREFIX = new byte[0];

  /**
   * Seals {@code plaintext[off, off+len)} into {@code out} from {@code outOff} as {@code prefix || nonce ||
   * ciphertext || tag} ({@code prefix} may be empty; see {@link #sealAfter}) without allocating, and answers how many
   * bytes it wrote: a pack is built in place, not from one array per chunk.
   */
  public static int sealInto(byte[] prefix, SecretKeySpec key, byte[] plaintext, int off, int len, byte[] aad,
                             byte[] out, int outOff) {
    int sealed = prefix.length + NONCE_BYTES + len + TAG_BYTES;
    if (outOff < 0 || out.length - outOff < sealed) {
      throw new IllegalArgumentException("no room for " + sealed + " sealed bytes at " + outOff + " of " + out.length);
    }
    System.arraycopy(prefix, 0, out, outOff, prefix.length);
    int nonceAt = outOff + prefix.length;
    Nonces.next(out, nonceAt);
    try {
      Cipher c = CIPHER.get();
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, out, nonceAt, NONCE_BYTES));
      c.updateAAD(aad);
      doFinal(c, plaintext, off, len, out, nonceAt + NONCE_BYTES);
      return sealed;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * Seals {@code plaintext[off, off+len)} after {@code prefix}: prefix || nonce || ciphertext || tag, in one array
   * (the prefix is not authenticated here: a caller that needs it bound puts it in {@code aad} or, as the data-key
   * envelope does, lets the choice of key it names be checked by the tag).
   */
  public static byte[] sealAfter(byte[] prefix, SecretKeySpec key, byte[] plaintext, int off, int len, byte[] aad) {
    byte[] out = new byte[prefix.length + NONCE_BYTES + len + TAG_BYTES];
    sealInto(prefix, key, plaintext, off, len, aad, out, 0);
    return out;
  }

  /**
   * Opens {@code sealed[off, off+len)} into {@code out} from {@code outOff} without allocating, and answers the
   * plaintext's length ({@code len - OVERHEAD}). On a tag mismatch it throws {@link TamperedDataException}, and what
   * {@code out} holds in that range is not the plaintext.
   */
  public static int openInto(SecretKeySpec key, byte[] sealed, int off, int len, byte[] aad, byte[] out, int outOff) {
    if (len < OVERHEAD) {
      throw new TamperedDataException("sealed data is " + len + " bytes, shorter than nonce and tag");
    }
    if (out.length - outOff < len - OVERHEAD) {
      throw new IllegalArgumentException("no room for " + (len - OVERHEAD) + " plaintext bytes at " + outOff + " of " + out.length);
    }
    try {
      Cipher c = CIPHER.get();
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, sealed, off, NONCE_BYTES));
      c.updateAAD(aad);
      return doFinal(c, sealed, off + NONCE_BYTES, len - NONCE_BYTES, out, outOff);
    } catch (AEADBadTagException e) {
      throw new TamperedDataException("authentication tag mismatch");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM decryption failed", e);
    }
  }

  public static byte[] open(byte[] key, byte[] sealed, byte[] aad) {
    return open(new SecretKeySpec(key, "AES"), sealed, 0, sealed.length, aad);
  }

  /** Opens {@code sealed[off, off+len)}; a changed bit anywhere, or the wrong key or AAD, throws {@link TamperedDataException}. */
  public static byte[] open(SecretKeySpec key, byte[] sealed, int off, int len, byte[] aad) {
    if (len < OVERHEAD) {
      throw new TamperedDataException("sealed data is " + len + " bytes, shorter than nonce and tag");
    }
    try {
      Cipher c = CIPHER.get();
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, sealed, off, NONCE_BYTES));
      c.updateAAD(aad);
      byte[] out = new byte[len - OVERHEAD];
      doFinal(c, sealed, off + NONCE_BYTES, len - NONCE_BYTES, out, 0);
      return out;
    } catch (AEADBadTagException e) {
      throw new TamperedDataException("authentication tag mismatch");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM decryption failed", e);
    }
  }

  /**
   * Messages at least this long (manifests, merged index segments) go through the cipher as buffers, not arrays.
   * Handed one large array, the JDK's AES-GCM runs its plain-Java GHASH and counter mode until the method that calls the
   * AVX-512 intrinsic has been compiled by C2, which a method called once per manifest seldom is, and which a message of
   * more than 1 MiB undoes (an uncommon trap): ~70 MB/s even warm. Given a buffer without an accessible array it calls
   * that method once per 512 bytes, which the JIT compiles at once: a 2.2 MB manifest opened in 4-9 ms instead of
   * 30-60, sealed in 10 instead of 55 (Temurin 25, 2026-11-24). Chunks (64 KiB) keep the array path.
   */
  static final int LARGE = 256 << 10;

  /** {@code Cipher.doFinal} of {@code in[off, off+len)} into {@code out} from {@code outOff}; answers the bytes written. */
  private static int doFinal(Cipher c, byte[] in, int off, int len, byte[] out, int outOff) throws GeneralSecurityException {
    if (len < LARGE || in == out) {
      return c.doFinal(in, off, len, out, outOff);
    }
    // read-only: its array is not accessible, which is what sends the cipher down its 512-byte path
    return c.doFinal(ByteBuffer.wrap(in, off, len).asReadOnlyBuffer(), ByteBuffer.wrap(out, outOff, out.length - outOff));
  }
}
