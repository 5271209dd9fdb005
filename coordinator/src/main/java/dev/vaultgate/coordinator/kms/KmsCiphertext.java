package dev.vaultgate.coordinator.kms;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ciphertext blob Encrypt and GenerateDataKey answer and Decrypt takes (pure; no I/O):
 * <pre>
 * "VGK1" (4) | key id (16, the UUID's bytes) | material version (u32 BE) | nonce (12) | AES-256-GCM ciphertext | tag (16)
 * </pre>
 * The first 24 bytes (the header) name the key and its material version, so Decrypt needs no KeyId. The GCM associated
 * data is the header followed by the encryption context in canonical form (entries sorted by key, each
 * u32 length + UTF-8 key, u32 length + UTF-8 value): a changed header or another context fails authentication.
 */
public final class KmsCiphertext {

  private static final byte[] MAGIC = {'V', 'G', 'K', '1'};
  static final int HEADER_BYTES = 4 + 16 + 4;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BYTES = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A blob's parts; {@code header} is the associated data's prefix. */
  public record Parsed(UUID keyId, int version, byte[] header, byte[] nonce, byte[] sealed) {}

  /** A blob that is not one of ours, or fails authentication: KMS's InvalidCiphertextException. */
  public static final class InvalidCiphertext extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidCiphertext(String message) {
      super(message, null, false, false);
    }
  }

  private KmsCiphertext() {}

  public static byte[] encrypt(UUID keyId, int version, byte[] material, byte[] plaintext, Map<String, String> context) {
    byte[] header = header(keyId, version);
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(material, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
      c.updateAAD(aad(header, context));
      byte[] sealed = c.doFinal(plaintext);
      return ByteBuffer.allocate(header.length + NONCE_BYTES + sealed.length).put(header).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** Reads the header; the blob is not authenticated until {@link #decrypt}. */
  public static Parsed parse(byte[] blob) {
    if (blob.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES || !Arrays.equals(blob, 0, 4, MAGIC, 0, 4)) {
      throw new InvalidCiphertext("The ciphertext is not a ciphertext blob of this key service");
    }
    ByteBuffer b = ByteBuffer.wrap(blob);
    b.position(4);
    UUID keyId = new UUID(b.getLong(), b.getLong());
    int version = b.getInt();
    return new Parsed(keyId, version, Arrays.copyOf(blob, HEADER_BYTES),
        Arrays.copyOfRange(blob, HEADER_BYTES, HEADER_BYTES + NONCE_BYTES),
        Arrays.copyOfRange(blob, HEADER_BYTES + NONCE_BYTES, blob.length));
  }

  /** The plaintext; {@link InvalidCiphertext} when the blob, the material or the context do not match. */
  public static byte[] decrypt(Parsed blob, byte[] material, Map<String, String> context) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(material, "AES"), new GCMParameterSpec(TAG_BYTES * 8, blob.nonce()));
      c.updateAAD(aad(blob.header(), context));
      return c.doFinal(blob.sealed());
    } catch (javax.crypto.AEADBadTagException e) {
      throw new InvalidCiphertext("The ciphertext does not authenticate: it was altered, or the encryption context"
          + " differs from the one it was encrypted with");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  static byte[] header(UUID keyId, int version) {
    return ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).putLong(keyId.getMostSignificantBits())
        .putLong(keyId.getLeastSignificantBits()).putInt(version).array();
  }

  /** Header, then the context's entries sorted by key: the same context in any order gives the same bytes. */
  static byte[] aad(byte[] header, Map<String, String> context) {
    TreeMap<String, String> sorted = new TreeMap<>(context == null ? Map.of() : context);
    int size = header.length;
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      size += 8 + utf8(e.getKey()).length + utf8(e.getValue()).length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).put(header);
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      byte[] k = utf8(e.getKey());
      byte[] v = utf8(e.getValue());
      b.putInt(k.length).put(k).putInt(v.length).put(v);
    }
    return b.array();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
