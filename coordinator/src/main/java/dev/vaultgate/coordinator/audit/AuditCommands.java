package dev.vaultgate.coordinator.audit;

import dev.vaultgate.coordinator.db.EmbeddedDatabase;
import dev.vaultgate.coordinator.db.SchemaMigrator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * {@code scripts/coordinator audit verify|digest|export}: the auditor's commands, run against the
 * coordinator's database (its {@code --database}, or the embedded one under {@code --data}, which
 * needs the coordinator stopped: one PostgreSQL per data directory).
 */
@Command(name = "audit", description = "Check, seal and export the activity log.",
    mixinStandardHelpOptions = true,
    subcommands = {AuditCommands.Verify.class, AuditCommands.Digest.class, AuditCommands.Export.class})
public final class AuditCommands implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** Where the database is. */
  public static final class DatabaseOptions {
    @Option(names = "--data", paramLabel = "DIR",
        description = "The coordinator's data directory (embedded PostgreSQL, signing key). Default: ${DEFAULT-VALUE}.")
    Path data = Path.of(System.getProperty("user.home"), ".vaultgate", "coordinator");

    @Option(names = "--database", paramLabel = "URL",
        description = "The coordinator's PostgreSQL, as postgresql://user:password@host:port/database."
            + " Default: the embedded one under DIR (stop the coordinator first).")
    String database;

    /** The coordinator's data directory ({@code --data}). */
    public Path dataDir() {
      return data;
    }

    /** Runs {@code work} with a pool on the database, then closes everything. */
    public <T> T withPool(Function<Pool, Future<T>> work) throws Exception {
      Vertx vertx = Vertx.vertx();
      EmbeddedDatabase embedded = null;
      Pool pool = null;
      try {
        PgConnectOptions connect;
        if (database == null) {
          if (!Files.isDirectory(data.resolve("postgres"))) {
            throw new IllegalArgumentException("no coordinator database under " + data + " (pass --data or --database)");
          }
          embedded = EmbeddedDatabase.start(data);
          connect = embedded.connectOptions();
        } else {
          connect = PgConnectOptions.fromUri(database.replaceFirst("^postgres://", "postgresql://"));
        }
        pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(connect).using(vertx).build();
        Pool p = pool;
        return SchemaMigrator.fromClasspath().migrate(p).compose(v -> work.apply(p))
            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.MINUTES);
      } finally {
        if (pool != null) pool.close();
        if (embedded != null) embedded.close();
        vertx.close();
      }
    }
  }

  static int fail(PrintWriter err, Throwable e) {
    Throwable t = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
    err.println("coordinator audit: " + S3DigestStore.rootMessage(t));
    err.flush();
    return 2;
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Checks the activity log's hash chain and, with --digests, the signed digests, and says exactly"
          + " where it breaks (seq, and what: edited, dropped, reordered, rewritten, column mismatch, digest"
          + " mismatch, truncated, forged digest).", "Exit 0: intact; 1: broken; 2: could not check."})
  public static final class Verify implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(names = "--from", paramLabel = "SEQ", description = "First seq to check. Default: 1 (the whole log).")
    long from = 1;

    @Option(names = "--digests", paramLabel = "S3_URL",
        description = "The coordinator's auditDigestLocation: s3://bucket[/prefix][?endpoint=..&region=..]."
            + " Credentials from the AWS SDK's default chain (AWS_ACCESS_KEY_ID, AWS_PROFILE...).")
    String digests;

    @Option(names = "--public-key", paramLabel = "PEM",
        description = "A trusted digest-signing public key (repeatable). Default: DIR/" + AuditSigningKey.PUBLIC_FILE)
    List<Path> publicKeys = new ArrayList<>();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        if (from < 1) throw new IllegalArgumentException("--from " + from + ": expected a seq of 1 or more");
        Set<String> trusted = new LinkedHashSet<>();
        List<Path> keys = new ArrayList<>(publicKeys);
        Path own = db.data.resolve(AuditSigningKey.PUBLIC_FILE);
        if (keys.isEmpty() && Files.exists(own)) keys.add(own);
        for (Path k : keys) trusted.add(AuditSigningKey.publicKeyFromPem(k));
        if (digests != null && trusted.isEmpty()) {
          throw new IllegalArgumentException("--digests needs the signing public key: pass --public-key FILE");
        }
        AuditConfig.S3Location location = digests == null ? null : AuditConfig.S3Location.parse(digests);
        AuditVerifier.Report report = db.withPool(pool -> {
          Future<DigestChecks.Result> checked;
          S3DigestStore store;
          if (location == null) {
            store = null;
            checked = Future.succeededFuture(DigestChecks.Result.NONE);
          } else {
            store = new S3DigestStore(S3DigestStore.newClient(location, DefaultCredentialsProvider.builder().build()),
                location, AuditConfig.DEFAULT_RETENTION);
            checked = store.readAll(Vertx.currentContext())
                .compose(all -> AuditVerifier.checkDigests(new PgActivityLogStore(pool), all, trusted));
          }
          return checked.compose(c -> AuditVerifier.verify(new PgActivityLogStore(pool), from, c))
              .eventually(() -> {
                if (store != null) store.close();
                return Future.succeededFuture();
              });
        });
        for (String p : report.problems()) out.println(p);
        String range = report.rowsChecked() == 0 ? "no rows" : report.rowsChecked() + " rows (seq " + report.fromSeq()
            + ".." + report.lastSeq() + ")";
        out.println("activity log: " + range + ", " + report.digestsChecked() + " digests checked: "
            + (report.ok() ? "intact" : "BROKEN (" + report.problems().size() + " problems)"));
        out.flush();
        return report.ok() ? 0 : 1;
      } catch (Exception e) {
        return fail(err, e);
      }
    }
  }

  @Command(name = "digest", mixinStandardHelpOptions = true,
      description = "Writes a signed digest of the rows since the last digest now, with DIR's signing key.")
  public static final class Digest implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(names = "--digests", paramLabel = "S3_URL", required = true,
        description = "The coordinator's auditDigestLocation: s3://bucket[/prefix][?endpoint=..&region=..].")
    String digests;

    @Override
    public Integer call() {
      try {
        AuditConfig.S3Location location = AuditConfig.S3Location.parse(digests);
        AuditSigningKey key = AuditSigningKey.loadOrCreate(db.data);
        var written = db.withPool(pool -> {
          S3DigestStore store = new S3DigestStore(S3DigestStore.newClient(location,
              DefaultCredentialsProvider.builder().build()), location, AuditConfig.DEFAULT_RETENTION);
          return new AuditDigestWriter(pool, store, key, Clock.systemUTC()).write(Vertx.currentContext())
              .eventually(() -> {
                store.close();
                return Future.succeededFuture();
              });
        });
        PrintWriter out = spec.commandLine().getOut();
        out.println(written.map(w -> "digest " + location.key(w.name()) + " written (seq " + w.firstSeq() + ".."
            + w.lastSeq() + ")").orElse("nothing logged since the last digest"));
        out.flush();
        return 0;
      } catch (Exception e) {
        return fail(spec.commandLine().getErr(), e);
      }
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = {"Writes the activity log as JSON Lines to standard output: one row a line,"
          + " {\"seq\", \"prevHash\", \"hash\", \"event\": <CloudTrail record>}, in seq order, so the export can be"
          + " checked on its own; `jq -c .event` gives the bare CloudTrail records."})
  public static final class Export implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Option(names = "--start-time", paramLabel = "ISO8601", description = "Only events at or after this time.")
    Instant start;

    @Option(names = "--end-time", paramLabel = "ISO8601", description = "Only events at or before this time.")
    Instant end;

    @Option(names = "--account", paramLabel = "ID", description = "Only events of this account.")
    String account;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try {
        if (start != null && end != null && start.isAfter(end)) {
          throw new IllegalArgumentException("--start-time " + start + " is after --end-time " + end);
        }
        long n = db.withPool(pool -> page(pool, 1, out, 0));
        out.flush();
        spec.commandLine().getErr().println("coordinator audit: exported " + n + " events");
        spec.commandLine().getErr().flush();
        return 0;
      } catch (Exception e) {
        return fail(spec.commandLine().getErr(), e);
      }
    }

    static final String PAGE = "SELECT seq, canonical, hash FROM activity_log WHERE seq >= $1"
        + " AND ($2::timestamptz IS NULL OR event_time >= $2) AND ($3::timestamptz IS NULL OR event_time <= $3)"
        + " AND ($4::text IS NULL OR account_id = $4) ORDER BY seq LIMIT 5000";

    private Future<Long> page(Pool pool, long from, PrintWriter out, long done) {
      return pool.preparedQuery(PAGE).execute(Tuple.of(from, start == null ? null : start.atOffset(ZoneOffset.UTC),
          end == null ? null : end.atOffset(ZoneOffset.UTC), account)).compose(rows -> {
            long last = -1;
            long n = done;
            for (Row r : rows) {
              String canonical = r.getString(1);
              // the stored canonical text plus its hash, spliced so the hashed bytes stay as they are
              out.println("{\"hash\":\"" + r.getString(2) + "\"," + canonical.substring(1));
              last = r.getLong(0);
              n++;
            }
            if (rows.size() < 5000) return Future.succeededFuture(n);
            return page(pool, last + 1, out, n);
          });
    }
  }
}
