package dev.vaultgate.coordinator.agent;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.CopyJob;
import software.amazon.awssdk.services.backup.model.CopyJobState;

/**
 * Copies into another account's vault (allowed or denied by that vault's access policy, as on
 * AWS) and into another region's vault (a us-west-2 coordinator on the same database owns it; the
 * us-east-1 coordinator writes there only when {@code --region-storage} names that region's storage).
 */
class CrossAccountAndRegionCopyTest {

  static TestCoordinator env;
  /** A us-west-2 coordinator on the same database: it owns that region's vaults. */
  static Coordinator west;
  /** A us-east-1 replica that knows where us-west-2's vaults live. */
  static Coordinator eastWithRegions;
  static final String WEST_ROOT = "s3://vaults-west/prefix?endpoint=http://127.0.0.1:9&region=us-west-2";

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    CopyJobAgentTest.env = env; // its setup() makes the source account, vault and gateway
    String db = env.coordinator.embeddedDatabaseUrl().orElseThrow();
    west = await(Coordinator.start(env.vertx, new CoordinatorConfig("127.0.0.1", 0, data("west"), db, "us-west-2",
        "000000000000", 1, 1 << 20, Duration.ZERO), Map.of(), Clock.systemUTC()));
    eastWithRegions = await(Coordinator.start(env.vertx, new CoordinatorConfig("127.0.0.1", 0, data("east"), db, "us-east-1",
        "000000000000", 1, 1 << 20, Duration.ZERO).withRegionStorage(Map.of("us-west-2", WEST_ROOT)), Map.of(),
        Clock.systemUTC()));
  }

  private static Path data(String name) {
    return Path.of("target", "test-data", "copy-" + name + "-" + UUID.randomUUID()).toAbsolutePath();
  }

  @AfterAll
  static void stop() {
    await(west.close());
    await(eastWithRegions.close());
  }

  private static BackupClient client(Coordinator c, AccessKey key, Region region) {
    return BackupClient.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + c.port()))
        .region(region)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  private static String allowCopiesFrom(String account) {
    return new JsonObject().put("Version", "2012-10-17").put("Statement", new io.vertx.core.json.JsonArray().add(new JsonObject()
        .put("Effect", "Allow").put("Principal", new JsonObject().put("AWS", "arn:aws:iam::" + account + ":root"))
        .put("Action", "backup:CopyIntoBackupVault").put("Resource", "*"))).encode();
  }

  private static CopyJob startCopy(CopyJobAgentTest.Setup s, String point, String destinationArn) {
    String id = s.backup().startCopyJob(r -> r.recoveryPointArn(point).sourceBackupVaultName(s.vault())
        .destinationBackupVaultArn(destinationArn).iamRoleArn("arn:aws:iam::" + s.key().accountId() + ":role/backup")
        .lifecycle(l -> l.deleteAfterDays(20L))).copyJobId();
    return s.backup().describeCopyJob(r -> r.copyJobId(id)).copyJob();
  }

  @Test
  void aCopyIntoAnotherAccountsVaultWhosePolicyAllowsTheSourceAccountIsLeasedAndRegisteredInThatAccount() {
    CopyJobAgentTest.Setup s = CopyJobAgentTest.setup();
    AccessKey other = env.newAccount();
    BackupClient otherBackup = env.client(other);
    String vault = unique("shared");
    String destination = otherBackup.createBackupVault(r -> r.backupVaultName(vault)).backupVaultArn();
    otherBackup.putBackupVaultAccessPolicy(r -> r.backupVaultName(vault).policy(allowCopiesFrom(s.key().accountId())));
    String point = s.backUp("vm-x1");

    CopyJob copy = startCopy(s, point, destination);
    assertEquals(CopyJobState.CREATED, copy.state(), copy.statusMessage());
    JsonObject job = s.gw().post("/copy-jobs/lease", new JsonObject()).body().getJsonObject("job");
    assertEquals(copy.copyJobId(), job.getString("jobId"));
    String root = env.coordinator.config().vaultStorageRoot();
    assertEquals(root + "/" + s.key().accountId() + "/" + s.vault(), job.getString("sourceVaultLocation"));
    assertEquals(root + "/" + other.accountId() + "/" + vault, job.getString("destinationVaultLocation"),
        "the destination vault's data lives under its own account");

    Reply done = s.gw().post("/copy-jobs/" + copy.copyJobId() + "/complete", new JsonObject().put("backupSizeInBytes", 4096));
    assertEquals(200, done.status(), done.body().encode());
    assertEquals("COMPLETED", done.body().getString("state"));
    var registered = otherBackup.describeRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(copy.destinationRecoveryPointArn()));
    assertEquals(destination, registered.backupVaultArn());
    assertEquals(20L, registered.lifecycle().deleteAfterDays());
    assertEquals(CopyJobState.COMPLETED, s.backup().describeCopyJob(r -> r.copyJobId(copy.copyJobId())).copyJob().state());
  }

  @Test
  void aCopyIntoAnotherAccountsVaultWhosePolicyDoesNotAllowItFailsWithAwsAccessDenied() {
    CopyJobAgentTest.Setup s = CopyJobAgentTest.setup();
    AccessKey other = env.newAccount();
    BackupClient otherBackup = env.client(other);
    String noPolicy = otherBackup.createBackupVault(r -> r.backupVaultName(unique("closed"))).backupVaultArn();
    String forSomeoneElse = unique("elsewhere");
    String elsewhere = otherBackup.createBackupVault(r -> r.backupVaultName(forSomeoneElse)).backupVaultArn();
    otherBackup.putBackupVaultAccessPolicy(r -> r.backupVaultName(forSomeoneElse).policy(allowCopiesFrom("111122223333")));
    String point = s.backUp("vm-x2");

    for (String destination : new String[] {noPolicy, elsewhere}) {
      CopyJob copy = startCopy(s, point, destination);
      assertEquals(CopyJobState.FAILED, copy.state(), destination);
      assertTrue(copy.statusMessage().startsWith("Access Denied trying to call AWS Backup service"), copy.statusMessage());
      assertTrue(copy.statusMessage().contains(s.key().accountId()), copy.statusMessage());
    }
    assertFalse(s.gw().post("/copy-jobs/lease", new JsonObject()).body().containsKey("job"), "a refused copy is never leased");
    assertTrue(otherBackup.listRecoveryPointsByBackupVault(r -> r.backupVaultName(forSomeoneElse)).recoveryPoints().isEmpty());
  }

  @Test
  void aCopyIntoAnotherRegionsVaultGoesToThatRegionsStorageAndFailsWhereItIsUnknown() {
    CopyJobAgentTest.Setup s = CopyJobAgentTest.setup();
    String vault = unique("dr");
    String destination = client(west, s.key(), Region.US_WEST_2).createBackupVault(r -> r.backupVaultName(vault)).backupVaultArn();
    assertTrue(destination.startsWith("arn:aws:backup:us-west-2:"), destination);
    String point = s.backUp("vm-x3");

    // A coordinator that has no storage for us-west-2 fails the copy at its lease, with the reason.
    CopyJob unknown = startCopy(s, point, destination);
    assertEquals(CopyJobState.CREATED, unknown.state(), unknown.statusMessage());
    assertFalse(s.gw().post("/copy-jobs/lease", new JsonObject()).body().containsKey("job"));
    CopyJob failed = s.backup().describeCopyJob(r -> r.copyJobId(unknown.copyJobId())).copyJob();
    assertEquals(CopyJobState.FAILED, failed.state());
    assertTrue(failed.statusMessage().contains("--region-storage us-west-2=URL"), failed.statusMessage());

    // One that has it hands out that region's location, and the copy lands in the us-west-2 vault.
    CopyJob copy = startCopy(s, point, destination);
    AgentClient gw = s.gw().via(URI.create("http://127.0.0.1:" + eastWithRegions.port()));
    JsonObject job = gw.post("/copy-jobs/lease", new JsonObject()).body().getJsonObject("job");
    assertEquals(copy.copyJobId(), job.getString("jobId"));
    assertEquals("s3://vaults-west/prefix/" + s.key().accountId() + "/" + vault + "?endpoint=http://127.0.0.1:9&region=us-west-2",
        job.getString("destinationVaultLocation"));
    Reply done = gw.post("/copy-jobs/" + copy.copyJobId() + "/complete", new JsonObject().put("backupSizeInBytes", 4096));
    assertEquals("COMPLETED", done.body().getString("state"), done.body().encode());
    var registered = client(west, s.key(), Region.US_WEST_2)
        .describeRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(copy.destinationRecoveryPointArn()));
    assertEquals(destination, registered.backupVaultArn());
  }

  @Test
  void regionStorageForTheCoordinatorsOwnRegionOrABadUrlIsRefusedAtStart() {
    CoordinatorConfig base = CoordinatorConfig.forTests(data("bad"));
    IllegalArgumentException own = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> base.withRegionStorage(Map.of("us-east-1", "file:///tmp/x")));
    assertTrue(own.getMessage().contains("own region"), own.getMessage());
    IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> base.withRegionStorage(Map.of("us-west-2", "http://nowhere")));
    assertTrue(bad.getMessage().startsWith("--region-storage us-west-2=http://nowhere: expected"), bad.getMessage());
  }
}
