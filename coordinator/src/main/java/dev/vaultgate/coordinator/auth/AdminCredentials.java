package dev.vaultgate.coordinator.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The admin key's credentials file, in the AWS shared-credentials format under the profile
 * {@code vaultgate}, readable by its owner only (mode 0600).
 */
public final class AdminCredentials {

  public static final String PROFILE = "vaultgate";
  public static final String ENV_KEY_ID = "VAULTGATE_ADMIN_ACCESS_KEY_ID";
  public static final String ENV_SECRET = "VAULTGATE_ADMIN_SECRET_ACCESS_KEY";

  private AdminCredentials() {}

  /** The key given in the environment, when both variables are set. */
  public static Optional<AccessKey> fromEnvironment(Map<String, String> env, String accountId) {
    String id = env.get(ENV_KEY_ID);
    String secret = env.get(ENV_SECRET);
    if (id == null || id.isBlank() || secret == null || secret.isBlank()) return Optional.empty();
    return Optional.of(new AccessKey(id.trim(), secret.trim(), accountId));
  }

  /** Reads the {@code vaultgate} profile of a credentials file, when the file exists. */
  public static Optional<AccessKey> read(Path file, String accountId) throws IOException {
    if (!Files.exists(file)) return Optional.empty();
    String id = null;
    String secret = null;
    boolean inProfile = false;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String l = line.trim();
      if (l.startsWith("[")) {
        inProfile = l.equals("[" + PROFILE + "]");
      } else if (inProfile && l.contains("=")) {
        String key = l.substring(0, l.indexOf('=')).trim();
        String value = l.substring(l.indexOf('=') + 1).trim();
        if (key.equals("aws_access_key_id")) id = value;
        if (key.equals("aws_secret_access_key")) secret = value;
      }
    }
    if (id == null || secret == null) return Optional.empty();
    return Optional.of(new AccessKey(id, secret, accountId));
  }

  /** Writes the key as the {@code vaultgate} profile, creating the file with mode 0600. */
  public static void write(Path file, AccessKey key, String region) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    String text =
        "[" + PROFILE + "]\n"
            + "aws_access_key_id = " + key.accessKeyId() + "\n"
            + "aws_secret_access_key = " + key.secretAccessKey() + "\n"
            + "region = " + region + "\n";
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
