package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.vsphere.Thumbprints;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The vCenter certificates this gateway trusts, by host: a thumbprint the operator configured wins; otherwise the
 * one seen at the first successful connection, kept in {@code <stateDir>/vcenter-thumbprints.properties}, so a
 * later change of certificate is refused (trust on first use, then pinned). Blocking file I/O: call it on a worker.
 */
final class ThumbprintPins {
  private final Path file;
  private final Map<String, String> configured;

  ThumbprintPins(Path stateDir, Map<String, String> configured) {
    this.file = stateDir.resolve("vcenter-thumbprints.properties");
    this.configured = configured;
  }

  /** The pinned thumbprint of {@code host} (host[:port]), or null when none is pinned yet. */
  synchronized String pinned(String host) {
    String key = host.toLowerCase(Locale.ROOT);
    String given = configured.get(key);
    if (given != null) {
      return Thumbprints.normalize(given);
    }
    return load().getProperty(key);
  }

  /** Whether the operator configured the thumbprint (then it is never learned). */
  boolean configured(String host) {
    return configured.containsKey(host.toLowerCase(Locale.ROOT));
  }

  /** Pins {@code thumbprint} for {@code host}, after a first successful connection. */
  synchronized void pin(String host, String thumbprint) {
    Properties p = load();
    p.setProperty(host.toLowerCase(Locale.ROOT), Thumbprints.normalize(thumbprint));
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (Writer w = Files.newBufferedWriter(tmp)) {
        p.store(w, "vCenter certificates pinned by this gateway (SHA-256); delete a line to trust a new certificate");
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private Properties load() {
    Properties p = new Properties();
    if (Files.exists(file)) {
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    return p;
  }
}
