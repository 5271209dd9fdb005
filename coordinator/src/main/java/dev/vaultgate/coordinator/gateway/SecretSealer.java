package dev.vaultgate.coordinator.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals small secrets (hypervisor passwords) for storage: AES-256-GCM under the coordinator's
 * master key, a fresh 12-byte nonce each time, and associated data naming what the secret belongs
 * to, so a sealed value copied to another row does not open there. Sealed = nonce || ciphertext+tag.
 * The KMS API ({@code kms}) seals its key material with the same master key ({@link #sealBytes}).
 */
public final class SecretSealer {

  public static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  public SecretSealer(byte[] key) {
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException("a master key has " + KEY_BYTES + " bytes, not " + key.length);
    }
    this.key = new SecretKeySpec(key.clone(), "AES");
  }

  /**
   * The master key in {@code file}, made (random, mode 0600) when the file does not exist. Blocking:
   * call it off the event loop.
   */
  public static SecretSealer fromKeyFile(Path file) {
    try {
      if (!Files.exists(file)) {
        byte[] fresh = new byte[KEY_BYTES];
        RANDOM.nextBytes(fresh);
        Files.createDirectories(file.toAbsolutePath().getParent());
        try {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
          Files.write(file, fresh, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (FileAlreadyExistsException raced) {
          // another coordinator on the same data directory made it first: use theirs
        }
      }
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length != KEY_BYTES) {
        throw new IllegalStateException("master key " + file + " has " + bytes.length + " bytes, expected " + KEY_BYTES);
      }
      return new SecretSealer(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the master key " + file, e);
    }
  }

  public byte[] seal(String secret, String boundTo) {
    return sealBytes(secret.getBytes(StandardCharsets.UTF_8), boundTo);
  }

  /** Seals raw bytes (key material) bound to {@code boundTo}. */
  public byte[] sealBytes(byte[] secret, String boundTo) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = c.doFinal(secret);
      return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal the secret of " + boundTo, e);
    }
  }

  /** The secret; fails when the key is another or the sealed bytes or their owner changed. */
  public String open(byte[] sealed, String boundTo) {
    return new String(openBytes(sealed, boundTo), StandardCharsets.UTF_8);
  }

  /** The raw bytes {@link #sealBytes} sealed; fails like {@link #open}. */
  public byte[] openBytes(byte[] sealed, String boundTo) {
    if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalStateException("cannot open the secret of " + boundTo + ": it is truncated");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, Arrays.copyOf(sealed, NONCE_BYTES)));
      c.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
      return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot open the secret of " + boundTo
          + ": another master key sealed it, or it was altered");
    }
  }
}
