package dev.vaultgate.coordinator.audit;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.db.SchemaMigrator;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import dev.vaultgate.vault.testing.TestVaults;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * The verifier against tampering done the way an attacker with database access would: the
 * append-only trigger disabled, rows edited, deleted, swapped and the chain recomputed directly in
 * PostgreSQL; digests signed into a real S3 server (s3proxy in-process), then forged and removed.
 * Each test has its own database (in the shared embedded server) and its own bucket.
 */
class AuditVerifyTest {

  static final String ATTACK = "ALTER TABLE activity_log DISABLE TRIGGER USER";

  TestCoordinator env;
  String databaseUrl;
  Path keyDir;
  Pool pool;
  PgActivityLogStore store;
  S3DigestStore digests;
  AuditSigningKey key;
  AuditDigestWriter writer;
  Context context;

  @BeforeEach
  void freshDatabaseAndBucket() throws Exception {
    env = TestCoordinator.get();
    String db = "audit_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    await(env.coordinator.pool().query("CREATE DATABASE " + db).execute());
    databaseUrl = env.coordinator.embeddedDatabaseUrl().orElseThrow().replaceFirst("/postgres$", "/" + db);
    PgConnectOptions connect = PgConnectOptions.fromUri(databaseUrl);
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(connect).using(env.vertx).build();
    await(SchemaMigrator.fromClasspath().migrate(pool));
    store = new PgActivityLogStore(pool);
    AuditConfig.S3Location location = AuditConfig.S3Location.parse("s3://" + TestVaults.newBucket()
        + "/audit?endpoint=" + TestVaults.s3Server().endpoint());
    digests = new S3DigestStore(S3DigestStore.newClient(location, StaticCredentialsProvider.create(
        AwsBasicCredentials.create(TestVaults.ACCESS_KEY, TestVaults.SECRET_KEY))), location,
        AuditConfig.DEFAULT_RETENTION);
    keyDir = Files.createTempDirectory(Path.of("target"), "audit-key");
    key = AuditSigningKey.loadOrCreate(keyDir);
    writer = new AuditDigestWriter(pool, digests, key, Clock.systemUTC());
    context = env.vertx.getOrCreateContext();
  }

  @AfterEach
  void close() {
    digests.close();
    await(pool.close());
  }

  void append(int n, String name) {
    List<ActivityEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      events.add(ActivityEvents.serviceAction(name, "111122223333", new JsonObject().put("i", i), Instant.now(),
          "us-east-1"));
    }
    await(store.append(events));
  }

  AuditVerifier.Report verify() {
    return verify(1);
  }

  AuditVerifier.Report verify(long from) {
    DigestChecks.Result checked = await(AuditVerifier.checkDigests(store, await(digests.readAll(context)),
        Set.of(key.publicKeyBase64())));
    return await(AuditVerifier.verify(store, from, checked));
  }

  void sql(String... statements) {
    await(pool.withTransaction(conn -> {
      io.vertx.core.Future<?> chain = io.vertx.core.Future.succeededFuture();
      for (String s : statements) chain = chain.compose(v -> conn.query(s).execute());
      return chain;
    }));
  }

  static void assertProblem(AuditVerifier.Report report, String expected) {
    assertFalse(report.ok(), "the verifier found nothing");
    assertTrue(report.problems().stream().anyMatch(p -> p.startsWith(expected)),
        "expected a problem starting '" + expected + "' in:\n" + String.join("\n", report.problems()));
  }

  @Test
  void anIntactLogWithItsDigestsVerifies() {
    append(10, "First");
    assertEquals(1, await(writer.write(context)).orElseThrow().firstSeq());
    append(5, "Second");
    AuditDigestWriter.Written second = await(writer.write(context)).orElseThrow();
    assertEquals(11, second.firstSeq());
    assertEquals(15, second.lastSeq());
    assertTrue(await(writer.write(context)).isEmpty(), "nothing new: no digest");
    append(3, "Unsealed");
    AuditVerifier.Report report = verify();
    assertTrue(report.ok(), String.join("\n", report.problems()));
    assertEquals(18, report.rowsChecked());
    assertEquals(2, report.digestsChecked());
  }

  @Test
  void anEditedRowIsNamed() {
    append(10, "Event");
    sql(ATTACK, "UPDATE activity_log SET canonical = replace(canonical, '\"i\":6', '\"i\":60') WHERE seq = 7");
    AuditVerifier.Report report = verify();
    assertProblem(report, "seq 7: edited: its content hashes to");
    assertEquals(1, report.problems().size(), String.join("\n", report.problems()));
  }

  @Test
  void anEditedRowWithItsHashRecomputedIsNamedByTheRowAfterIt() {
    append(10, "Event");
    Row r = await(pool.query("SELECT canonical FROM activity_log WHERE seq = 4").execute()).iterator().next();
    String forged = r.getString(0).replace("\"i\":3", "\"i\":33");
    sql(ATTACK);
    await(pool.withTransaction(conn -> conn.query(ATTACK).execute().compose(v -> conn
        .preparedQuery("UPDATE activity_log SET canonical = $1, hash = $2 WHERE seq = 4")
        .execute(Tuple.of(forged, CanonicalJson.sha256(forged))))));
    assertProblem(verify(), "seq 4: predecessor rewritten: seq 5 was written after a row hashing to");
  }

  @Test
  void aDroppedRowIsNamed() {
    append(10, "Event");
    sql(ATTACK, "DELETE FROM activity_log WHERE seq = 5");
    AuditVerifier.Report report = verify();
    assertProblem(report, "seq 5: dropped: row is missing (seq 4 is followed by seq 6)");
  }

  @Test
  void swappedRowsAreNamedAsReordered() {
    append(10, "Event");
    sql(ATTACK, "UPDATE activity_log SET seq = -3 WHERE seq = 3", "UPDATE activity_log SET seq = 3 WHERE seq = 4",
        "UPDATE activity_log SET seq = 4 WHERE seq = -3");
    AuditVerifier.Report report = verify();
    assertProblem(report, "seq 3: reordered: the row stored at seq 3 was written as seq 4");
    assertProblem(report, "seq 4: reordered: the row stored at seq 4 was written as seq 3");
  }

  @Test
  void anEditedLookupColumnIsNamed() {
    append(10, "Event");
    sql(ATTACK, "UPDATE activity_log SET event_name = 'Harmless' WHERE seq = 9");
    assertProblem(verify(), "seq 9: column mismatch: column event_name says Harmless but the hashed event says Event");
  }

  @Test
  void aChainRecomputedAfterAnEditIsCaughtByTheDigest() {
    append(10, "Event");
    await(writer.write(context));
    // the attacker rewrites seq 6 and re-links every row after it, so the chain alone is consistent
    List<PgActivityLogStore.StoredRow> rows = await(store.rowsFrom(6, 100));
    String prev = await(store.rowsFrom(5, 1)).get(0).hash();
    List<Tuple> updates = new ArrayList<>();
    for (PgActivityLogStore.StoredRow row : rows) {
      JsonObject event = new JsonObject(row.canonical()).getJsonObject("event");
      if (row.seq() == 6) event.getJsonObject("serviceEventDetails").put("i", 500);
      String canonical = HashChain.canonical(row.seq(), prev, event);
      String hash = CanonicalJson.sha256(canonical);
      updates.add(Tuple.of(canonical, hash, prev, row.seq()));
      prev = hash;
    }
    await(pool.withTransaction(conn -> conn.query(ATTACK).execute().compose(v -> conn
        .preparedQuery("UPDATE activity_log SET canonical = $1, hash = $2, prev_hash = $3 WHERE seq = $4")
        .executeBatch(updates))));
    AuditVerifier.Report report = verify();
    assertProblem(report, "seq 10: digest mismatch: digest audit/digests/00000000000000000010.json signed hash");
    assertEquals(1, report.problems().size(), String.join("\n", report.problems()));
  }

  @Test
  void rowsDroppedFromTheEndAreCaughtByTheDigest() {
    append(10, "Event");
    await(writer.write(context));
    sql(ATTACK, "DELETE FROM activity_log WHERE seq > 7");
    assertProblem(verify(), "seq 8: truncated: digest audit/digests/00000000000000000010.json says the log reached seq 10,"
        + " but it ends at seq 7");
  }

  @Test
  void aForgedDigestSignatureAndAMissingDigestAreNamed() throws Exception {
    append(5, "Event");
    await(writer.write(context));
    append(5, "Event");
    await(writer.write(context));
    append(5, "Event");
    await(writer.write(context));
    // edit the second digest's lastHash without the private key: the signature no longer matches
    var s3 = S3DigestStore.newClient(digests.location(), StaticCredentialsProvider.create(
        AwsBasicCredentials.create(TestVaults.ACCESS_KEY, TestVaults.SECRET_KEY)));
    try {
      String second = "audit/" + Digests.objectKey(10);
      String text = s3.getObject(b -> b.bucket(digests.location().bucket()).key(second),
          software.amazon.awssdk.core.async.AsyncResponseTransformer.toBytes()).join().asUtf8String();
      JsonObject forged = new JsonObject(text);
      forged.getJsonObject("digest").put("lastSeq", 11);
      s3.putObject(PutObjectRequest.builder().bucket(digests.location().bucket()).key(second).build(),
          software.amazon.awssdk.core.async.AsyncRequestBody.fromString(forged.encode(), StandardCharsets.UTF_8)).join();
      AuditVerifier.Report report = verify();
      assertProblem(report, "digest audit/digests/00000000000000000010.json: signature mismatch");
      // without the second digest, the third no longer chains to the first
      assertProblem(report, "digest audit/digests/00000000000000000015.json: previousDigestHash");
    } finally {
      s3.close();
    }
  }

  @Test
  void aDigestSignedByAnotherKeyIsNotTrusted() throws Exception {
    append(3, "Event");
    await(writer.write(context));
    DigestChecks.Result checked = DigestChecks.check(await(digests.readAll(context)),
        Set.of(AuditSigningKey.loadOrCreate(Files.createTempDirectory(Path.of("target"), "other-key")).publicKeyBase64()));
    AuditVerifier.Report report = await(AuditVerifier.verify(store, 1, checked));
    assertProblem(report, "digest audit/digests/00000000000000000003.json: signed by a key that is not trusted");
  }

  record Run(int code, String out, String err) {}

  static Run cli(String... args) {
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    picocli.CommandLine cli = new picocli.CommandLine(new dev.vaultgate.coordinator.CoordinatorMain());
    cli.setOut(new java.io.PrintWriter(out));
    cli.setErr(new java.io.PrintWriter(err));
    String id = System.getProperty("aws.accessKeyId");
    System.setProperty("aws.accessKeyId", TestVaults.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", TestVaults.SECRET_KEY);
    try {
      return new Run(cli.execute(args), out.toString(), err.toString());
    } finally {
      if (id == null) System.clearProperty("aws.accessKeyId");
    }
  }

  String digestUrl() {
    return "s3://" + digests.location().bucket() + "/audit?endpoint=" + TestVaults.s3Server().endpoint();
  }

  @Test
  void theVerifyCommandExitsZeroOnAnIntactLogAndOneNamingTheEditedRow() {
    append(6, "Event");
    Run digest = cli("audit", "digest", "--data", keyDir.toString(), "--database", databaseUrl, "--digests", digestUrl());
    assertEquals(0, digest.code(), digest.err());
    assertTrue(digest.out().contains("audit/digests/00000000000000000006.json written (seq 1..6)"), digest.out());
    String pub = keyDir.resolve(AuditSigningKey.PUBLIC_FILE).toString();
    Run ok = cli("audit", "verify", "--database", databaseUrl, "--digests", digestUrl(), "--public-key", pub);
    assertEquals(0, ok.code(), ok.out() + ok.err());
    assertTrue(ok.out().contains("activity log: 6 rows (seq 1..6), 1 digests checked: intact"), ok.out());

    sql(ATTACK, "UPDATE activity_log SET canonical = replace(canonical, '\"i\":2', '\"i\":9') WHERE seq = 3");
    Run broken = cli("audit", "verify", "--database", databaseUrl, "--digests", digestUrl(), "--public-key", pub);
    assertEquals(1, broken.code(), broken.out() + broken.err());
    assertTrue(broken.out().startsWith("seq 3: edited: its content hashes to"), broken.out());
    assertTrue(broken.out().contains("BROKEN (1 problems)"), broken.out());

    Run from = cli("audit", "verify", "--database", databaseUrl, "--from", "4");
    assertEquals(0, from.code(), from.out() + from.err());
    assertTrue(from.out().contains("3 rows (seq 4..6), 0 digests checked: intact"), from.out());
  }

  @Test
  void theExportCommandWritesJsonLinesThatHashAsStored() {
    append(4, "Exported");
    Run r = cli("audit", "export", "--database", databaseUrl, "--account", "111122223333");
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(4, lines.size(), r.out());
    String prev = HashChain.GENESIS;
    for (int i = 0; i < lines.size(); i++) {
      JsonObject line = new JsonObject(lines.get(i));
      assertEquals(i + 1, line.getLong("seq"));
      assertEquals("Exported", line.getJsonObject("event").getString("eventName"));
      String hash = (String) line.remove("hash");
      assertEquals(CanonicalJson.sha256(CanonicalJson.encode(line)), hash, "line " + i + " hashes as stored");
      assertEquals(prev, line.getString("prevHash"));
      prev = hash;
    }
    assertEquals(0, cli("audit", "export", "--database", databaseUrl, "--account", "999999999999").out().length());
  }

  @Test
  void badArgumentsAreOneLineErrorsWithExitTwo() {
    Run from = cli("audit", "verify", "--database", databaseUrl, "--from", "0");
    assertEquals(2, from.code());
    assertEquals("coordinator audit: --from 0: expected a seq of 1 or more", from.err().strip());
    Run location = cli("audit", "verify", "--database", databaseUrl, "--digests", "http://bucket",
        "--public-key", keyDir.resolve(AuditSigningKey.PUBLIC_FILE).toString());
    assertEquals(2, location.code());
    assertTrue(location.err().strip().startsWith("coordinator audit: audit digest location http://bucket: expected s3://"),
        location.err());
    Run noKey = cli("audit", "verify", "--database", databaseUrl, "--digests", digestUrl(), "--data",
        keyDir.resolve("nowhere").toString());
    assertEquals(2, noKey.code());
    assertEquals("coordinator audit: --digests needs the signing public key: pass --public-key FILE", noKey.err().strip());
    Run times = cli("audit", "export", "--database", databaseUrl, "--start-time", "2026-02-01T00:00:00Z",
        "--end-time", "2026-01-01T00:00:00Z");
    assertEquals(2, times.code());
    assertEquals(1, times.err().strip().lines().count(), times.err());
  }

  @Test
  void theLastDigestDeletedFromABucketWithoutObjectLockIsNamed() {
    append(4, "Event");
    await(writer.write(context));
    append(4, "Event");
    await(writer.write(context));
    var s3 = S3DigestStore.newClient(digests.location(), StaticCredentialsProvider.create(
        AwsBasicCredentials.create(TestVaults.ACCESS_KEY, TestVaults.SECRET_KEY)));
    try {
      s3.deleteObject(b -> b.bucket(digests.location().bucket()).key("audit/" + Digests.objectKey(8))).join();
    } finally {
      s3.close();
    }
    sql(ATTACK, "DELETE FROM activity_log WHERE seq > 4");
    AuditVerifier.Report report = verify();
    assertProblem(report, "digest digests/00000000000000000008.json (seq 5..8): the coordinator recorded writing it,"
        + " but it is not in the bucket (deleted)");
  }
}
