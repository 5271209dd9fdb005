package dev.vaultgate.coordinator.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies the versioned SQL migrations under {@code db/migration} (named
 * {@code V<n>__<what>.sql}, listed in order in {@code db/migration/index}) that the
 * {@code schema_version} table does not record yet, all in one transaction under an advisory
 * lock, so replicas starting together migrate once.
 */
public final class SchemaMigrator {

  /** One migration script. */
  public record Migration(int version, String description, String sql) {}

  static final String LOCK = "SELECT pg_advisory_xact_lock(726173)";
  static final String QUIET = "SET LOCAL client_min_messages TO warning";
  static final String CREATE_VERSION_TABLE =
      "CREATE TABLE IF NOT EXISTS schema_version ("
          + " version integer PRIMARY KEY,"
          + " description text NOT NULL,"
          + " applied_at timestamptz NOT NULL DEFAULT now())";
  static final String APPLIED = "SELECT version FROM schema_version";
  static final String RECORD = "INSERT INTO schema_version (version, description) VALUES ($1, $2)";

  private static final Pattern NAME = Pattern.compile("V(\\d+)__(.+)\\.sql");

  private final List<Migration> migrations;

  public SchemaMigrator(List<Migration> migrations) {
    this.migrations = List.copyOf(migrations);
  }

  /** Reads the migrations from the classpath (blocking: call at start, off the event loop). */
  public static SchemaMigrator fromClasspath() {
    List<Migration> out = new ArrayList<>();
    for (String name : read("/db/migration/index").split("\\R")) {
      String n = name.trim();
      if (n.isEmpty() || n.startsWith("#")) continue;
      Matcher m = NAME.matcher(n);
      if (!m.matches()) throw new IllegalStateException("migration " + n + " is not named V<n>__<what>.sql");
      out.add(new Migration(Integer.parseInt(m.group(1)), m.group(2), read("/db/migration/" + n)));
    }
    return new SchemaMigrator(out);
  }

  private static String read(String resource) {
    try (InputStream in = SchemaMigrator.class.getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing resource " + resource);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /** The versions this migrator knows, in order. */
  public List<Integer> versions() {
    return migrations.stream().map(Migration::version).toList();
  }

  /** Applies what is missing; the result is the versions applied now. */
  public Future<List<Integer>> migrate(Pool pool) {
    return pool.withTransaction(
        conn ->
            conn.query(LOCK).execute()
                .compose(r -> conn.query(QUIET).execute())
                .compose(r -> conn.query(CREATE_VERSION_TABLE).execute())
                .compose(r -> conn.query(APPLIED).execute())
                .compose(
                    rows -> {
                      Set<Integer> applied = new HashSet<>();
                      for (Row row : rows) applied.add(row.getInteger(0));
                      Future<List<Integer>> chain = Future.succeededFuture(new ArrayList<>());
                      for (Migration m : migrations) {
                        if (applied.contains(m.version())) continue;
                        chain = chain.compose(done -> apply(conn, m).map(v -> {
                          done.add(m.version());
                          return done;
                        }));
                      }
                      return chain;
                    }));
  }

  private static Future<Void> apply(SqlConnection conn, Migration m) {
    return conn.query(m.sql()).execute()
        .recover(e -> Future.failedFuture(new IllegalStateException(
            "migration V" + m.version() + " (" + m.description() + ") failed: " + e.getMessage(), e)))
        .compose(r -> conn.preparedQuery(RECORD).execute(Tuple.of(m.version(), m.description())))
        .mapEmpty();
  }
}
