package dev.vaultgate.vault.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * A 256-bit master key kept in a local file (base64, mode 0600) that wraps the vault's keys with AES-256-GCM.
 */
public final class LocalKeyWrapper implements KeyWrapper {
  private static final byte[] WRAP_AAD = "vaultgate key wrap v1".getBytes(StandardCharsets.US_ASCII);
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private final byte[] masterKey;
  private final String keyId;
  private final Path source;

  LocalKeyWrapper(byte[] masterKey, Path source) {
    if (masterKey.length != 32) {
      throw new IllegalArgumentException("master key " + source + " must hold 32 bytes, has " + masterKey.length);
    }
    this.masterKey = masterKey.clone();
    this.source = source;
    this.keyId = keyIdOf(masterKey);
  }

  /** Reads the key file; a missing, unreadable or malformed file fails with a message naming it. */
  public static LocalKeyWrapper load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read master key " + file + ": " + describe(e));
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("master key " + file + " is not base64 of 32 bytes");
    }
    if (key.length != 32) {
      throw new IllegalArgumentException("master key " + file + " is not base64 of 32 bytes");
    }
    return new LocalKeyWrapper(key, file);
  }

  /** Creates a new random key file with mode 0600; refuses to overwrite an existing one. */
  public static LocalKeyWrapper create(Path file) {
    byte[] key = Secrets.randomBytes(32);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII,
          StandardOpenOption.TRUNCATE_EXISTING);
    } catch (FileAlreadyExistsException e) {
      throw new IllegalArgumentException("master key " + file + " already exists; not overwriting it");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot create master key " + file + ": " + describe(e));
    }
    return new LocalKeyWrapper(key, file);
  }

  /** Loads the key file, creating it first when it does not exist. */
  public static LocalKeyWrapper loadOrCreate(Path file) {
    return Files.exists(file) ? load(file) : create(file);
  }

  private static String describe(IOException e) {
    return e.getClass().getSimpleName().replace("Exception", "") + (e.getMessage() == null ? "" : " " + e.getMessage());
  }

  private static String keyIdOf(byte[] key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String scheme() {
    return "local";
  }

  @Override
  public String keyId() {
    return keyId;
  }

  public Path source() {
    return source;
  }

  @Override
  public byte[] wrap(byte[] keyMaterial) {
    return Aead.seal(masterKey, keyMaterial, WRAP_AAD);
  }

  @Override
  public byte[] unwrap(byte[] wrapped) {
    try {
      return Aead.open(masterKey, wrapped, WRAP_AAD);
    } catch (TamperedDataException e) {
      throw new WrongMasterKeyException("master key " + source + " (id " + keyId + ") does not open this vault");
    }
  }
}
