package dev.vaultgate.coordinator.audit;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.db.SchemaMigrator;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The activity log's signed digests in a bucket with Object Lock on Ceph RGW: each digest is written under
 * COMPLIANCE retention, so not even the bucket owner's credentials can delete its version or shorten it, and the log
 * still verifies against it.
 */
@RequiresRgw
class AuditDigestRgwTest {

  @Test
  void digestsAreWrittenUnderComplianceRetentionThatNoCredentialsCanUndo() throws Exception {
    TestCoordinator env = TestCoordinator.get();
    String db = "audit_rgw_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    await(env.coordinator.pool().query("CREATE DATABASE " + db).execute());
    String url = env.coordinator.embeddedDatabaseUrl().orElseThrow().replaceFirst("/postgres$", "/" + db);
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(PgConnectOptions.fromUri(url))
        .using(env.vertx).build();
    String bucket = TestRgw.newBucket(true);
    AuditConfig.S3Location location = AuditConfig.S3Location.parse("s3://" + bucket + "/audit?endpoint="
        + TestRgw.endpoint() + "&region=us-east-1");
    S3DigestStore digests = new S3DigestStore(S3DigestStore.newClient(location, StaticCredentialsProvider.create(
        AwsBasicCredentials.create(TestRgw.accessKey(), TestRgw.secretKey()))), location, Duration.ofDays(3));
    try {
      await(SchemaMigrator.fromClasspath().migrate(pool));
      PgActivityLogStore store = new PgActivityLogStore(pool);
      List<ActivityEvent> events = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        events.add(ActivityEvents.serviceAction("Audited", "111122223333", new JsonObject().put("i", i), Instant.now(), "us-east-1"));
      }
      await(store.append(events));
      AuditSigningKey key = AuditSigningKey.loadOrCreate(Files.createTempDirectory(Path.of("target"), "audit-key"));
      Context context = env.vertx.getOrCreateContext();
      Instant before = Instant.now();
      AuditDigestWriter.Written written = await(new AuditDigestWriter(pool, digests, key, Clock.systemUTC()).write(context))
          .orElseThrow();
      assertTrue(await(digests.objectLock(context)), "the bucket has Object Lock");

      String objectKey = "audit/" + written.name();
      var retention = TestRgw.client().getObjectRetention(r -> r.bucket(bucket).key(objectKey)).join().retention();
      assertEquals(ObjectLockRetentionMode.COMPLIANCE, retention.mode());
      assertTrue(retention.retainUntilDate().isAfter(before.plus(Duration.ofDays(2))), retention.retainUntilDate().toString());

      String version = TestRgw.client().headObject(r -> r.bucket(bucket).key(objectKey)).join().versionId();
      CompletionException deleted = assertThrows(CompletionException.class, () -> TestRgw.client()
          .deleteObject(r -> r.bucket(bucket).key(objectKey).versionId(version).bypassGovernanceRetention(true)).join());
      assertEquals(403, ((S3Exception) deleted.getCause()).statusCode(), "the owner cannot delete a compliance-retained digest");
      CompletionException shortened = assertThrows(CompletionException.class, () -> TestRgw.client()
          .putObjectRetention(r -> r.bucket(bucket).key(objectKey).bypassGovernanceRetention(true).retention(rr -> rr
              .mode(ObjectLockRetentionMode.COMPLIANCE).retainUntilDate(Instant.now().plus(Duration.ofHours(1))))).join());
      assertTrue(shortened.getCause() instanceof S3Exception, "nor shorten its retention: " + shortened.getCause());

      DigestChecks.Result checked = await(AuditVerifier.checkDigests(store, await(digests.readAll(context)),
          Set.of(key.publicKeyBase64())));
      AuditVerifier.Report report = await(AuditVerifier.verify(store, 1, checked));
      assertTrue(report.ok(), String.join("\n", report.problems()));
      assertEquals(1, report.digestsChecked());
    } finally {
      digests.close();
      await(pool.close());
    }
  }
}
