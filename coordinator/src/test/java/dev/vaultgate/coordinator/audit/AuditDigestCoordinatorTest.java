package dev.vaultgate.coordinator.audit;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import dev.vaultgate.vault.testing.TestVaults;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;

/**
 * A coordinator started with an audit digest location writes signed digests on its own timer and
 * on demand into a real S3 server (s3proxy, which has no Object Lock: plain objects), and the
 * verify command checks its log against them with the public key it exported.
 */
class AuditDigestCoordinatorTest {

  @Test
  void aCoordinatorSealsItsLogPeriodicallyAndOnDemandAndTheVerifierAgrees() throws Exception {
    TestCoordinator env = TestCoordinator.get();
    String db = "digests_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    await(env.coordinator.pool().query("CREATE DATABASE " + db).execute());
    String url = env.coordinator.embeddedDatabaseUrl().orElseThrow().replaceFirst("/postgres$", "/" + db);
    String digests = "s3://" + TestVaults.newBucket() + "/trail?endpoint=" + TestVaults.s3Server().endpoint();
    Path data = Path.of("target", "test-data", "digests-" + UUID.randomUUID()).toAbsolutePath();
    CoordinatorConfig config = new CoordinatorConfig("127.0.0.1", 0, data, url, "us-east-1", "000000000000", 1,
        1024 * 1024, Duration.ZERO).withAudit(new AuditConfig(digests, Duration.ofMillis(300), Duration.ofDays(1)));
    Coordinator c = await(Coordinator.start(env.vertx, config, Map.of("AWS_ACCESS_KEY_ID", TestVaults.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY", TestVaults.SECRET_KEY), Clock.systemUTC()));
    try (BackupClient backup = TestCoordinator.client(java.net.URI.create("http://127.0.0.1:" + c.port()),
        c.adminKey())) {
      backup.createBackupVault(r -> r.backupVaultName("sealed"));
      awaitHead(c, 1);
      long deadline = System.currentTimeMillis() + 20_000;
      while (await(c.pool().query("SELECT count(*) FROM activity_digests").execute()).iterator().next().getLong(0) == 0
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      long sealedByTimer = await(c.pool().query("SELECT coalesce(max(last_seq), 0) FROM activity_digests").execute())
          .iterator().next().getLong(0);
      assertTrue(sealedByTimer >= 1, "the timer wrote a digest");
      backup.listBackupVaults(r -> {});
      awaitHead(c, 2);
      var onDemand = await(c.writeAuditDigest());
      // the timer may have sealed the list call already; either way the log is sealed to its end
      long head = await(new PgActivityLogStore(c.pool()).head()).seq();
      long sealed = await(c.pool().query("SELECT max(last_seq) FROM activity_digests").execute())
          .iterator().next().getLong(0);
      assertEquals(head, sealed, "on demand: " + onDemand);
      assertTrue(sealed > sealedByTimer, "the list call is sealed too");
    } finally {
      await(c.close());
    }
    AuditVerifyTest.Run verify = AuditVerifyTest.cli("audit", "verify", "--database", url, "--digests", digests,
        "--public-key", data.resolve(AuditSigningKey.PUBLIC_FILE).toString());
    assertEquals(0, verify.code(), verify.out() + verify.err());
    assertTrue(verify.out().contains("intact"), verify.out());
  }

  /** The front tells the log just after it answers: wait until the log has {@code seq} rows. */
  static void awaitHead(Coordinator c, long seq) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (await(new PgActivityLogStore(c.pool()).head()).seq() < seq && System.currentTimeMillis() < deadline) {
      await(c.activityLog().flush());
      Thread.sleep(10);
    }
  }
}
