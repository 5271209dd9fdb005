package dev.vaultgate.coordinator.db;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A PostgreSQL server started from the binaries zonky publishes on Maven Central, its data
 * kept under {@code <data>/postgres} so it survives restarts. Starting and stopping block
 * (seconds): call them off the event loop.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Starts the server; binaries are unpacked under {@code ot.epg.working-dir} or {@code <data>/pg-bin}. */
  public static EmbeddedDatabase start(Path dataDir) {
    try {
      Path data = dataDir.resolve("postgres");
      Files.createDirectories(dataDir);
      String workingDir = System.getProperty("ot.epg.working-dir");
      Path bin = workingDir != null ? Path.of(workingDir) : dataDir.resolve("pg-bin");
      Files.createDirectories(bin);
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setOverrideWorkingDirectory(bin.toFile())
              .setDataDirectory(data.toFile())
              .setCleanDataDirectory(false)
              .setServerConfig("max_connections", "200")
              .start();
      return new EmbeddedDatabase(pg);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL under " + dataDir, e);
    }
  }

  public int port() {
    return postgres.getPort();
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions()
        .setHost("localhost")
        .setPort(postgres.getPort())
        .setDatabase("postgres")
        .setUser("postgres")
        .setPassword("postgres");
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop embedded PostgreSQL", e);
    }
  }
}
