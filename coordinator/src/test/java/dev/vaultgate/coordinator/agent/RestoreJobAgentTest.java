package dev.vaultgate.coordinator.agent;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.backup.PgCopyAndRestoreLeases;
import dev.vaultgate.coordinator.backup.PgRecoveryPointStore;
import dev.vaultgate.coordinator.backup.PgRestoreJobStore;
import dev.vaultgate.coordinator.backup.RestoreJob;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.DescribeRestoreJobResponse;
import software.amazon.awssdk.services.backup.model.InvalidParameterValueException;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;

/**
 * Restore jobs over the agent API: StartRestoreJob's job waits PENDING, a gateway leases it
 * (RUNNING), reports progress and completes it with the resource it created, or fails it; a
 * lease that expires puts it back, and after {@link PgCopyAndRestoreLeases#MAX_ATTEMPTS} leases
 * fails it.
 */
class RestoreJobAgentTest {

  static TestCoordinator env;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
  }

  /** A fresh account with one completed recovery point and a gateway. */
  record Setup(AccessKey key, BackupClient backup, String point, AgentClient gw) {
    String restore() {
      return backup.startRestoreJob(r -> r.recoveryPointArn(point)
          .iamRoleArn("arn:aws:iam::" + key.accountId() + ":role/backup")
          .metadata(Map.of("VMName", "restored", "VMDatastore", "LocalDS_0"))).restoreJobId();
    }

    DescribeRestoreJobResponse describe(String id) {
      return backup.describeRestoreJob(r -> r.restoreJobId(id));
    }

    String vm(String name) {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/" + name;
    }
  }

  static Setup setup() {
    AccessKey key = env.newAccount();
    BackupClient backup = env.client(key);
    String vault = unique("restore");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    String vm = "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/vm-r";
    String jobId = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(vm)
        .iamRoleArn("arn:aws:iam::" + key.accountId() + ":role/backup")).backupJobId();
    String point = await(new PgRecoveryPointStore(env.coordinator.pool())
        .completeBackup(key.accountId(), jobId, 4096L, Map.of(), Instant.now())).arn();
    return new Setup(key, backup, point, AgentClient.register(env.endpoint(), key, "site-a"));
  }

  @Test
  void aGatewayLeasesReportsProgressAndCompletesARestoreThatTheSdkSeesWithTheCreatedResource() {
    Setup s = setup();
    String id = s.restore();
    assertEquals(RestoreJobStatus.PENDING, s.describe(id).status());
    assertFalse(s.gw().lease().body().containsKey("job"), "backup jobs and restores have their own queues");

    Reply lease = s.gw().post("/restore-jobs/lease", new JsonObject().put("leaseSeconds", 120));
    assertEquals(200, lease.status(), lease.body().encode());
    JsonObject job = lease.body().getJsonObject("job");
    assertEquals("RESTORE", job.getString("kind"));
    assertEquals(id, job.getString("jobId"));
    assertEquals(s.point(), job.getString("recoveryPointArn"));
    assertEquals(s.vm("vm-r"), job.getString("sourceResourceArn"));
    assertEquals("restored", job.getJsonObject("metadata").getString("VMName"));
    assertEquals(4096L, job.getLong("backupSizeInBytes"));
    assertEquals(env.coordinator.config().vaultStorageRoot() + "/" + s.key().accountId() + "/"
        + job.getString("backupVaultArn").split(":")[6], job.getString("vaultLocation"), "where the point's data is");
    Instant expires = Instant.parse(job.getString("leaseExpiresAt"));
    assertTrue(expires.isAfter(Instant.now().plusSeconds(100)) && expires.isBefore(Instant.now().plusSeconds(140)));
    assertEquals(RestoreJobStatus.RUNNING, s.describe(id).status());
    assertFalse(s.gw().post("/restore-jobs/lease", new JsonObject()).body().containsKey("job"), "leased once");

    Reply progress = s.gw().post("/restore-jobs/" + id + "/progress", new JsonObject().put("percentDone", 40));
    assertEquals(200, progress.status(), progress.body().encode());
    assertEquals("RUNNING", progress.body().getString("state"));
    assertNotNull(Instant.parse(progress.body().getString("leaseExpiresAt")));
    assertEquals("40.0", s.describe(id).percentDone());

    String created = s.vm("restored-1");
    Reply done = s.gw().post("/restore-jobs/" + id + "/complete", new JsonObject().put("createdResourceArn", created));
    assertEquals(200, done.status(), done.body().encode());
    assertEquals("COMPLETED", done.body().getString("state"));
    assertEquals(created, done.body().getString("createdResourceArn"));
    DescribeRestoreJobResponse d = s.describe(id);
    assertEquals(RestoreJobStatus.COMPLETED, d.status());
    assertEquals(created, d.createdResourceArn());
    assertEquals("100.0", d.percentDone());
    assertNotNull(d.completionDate());
    assertTrue(s.backup().listRestoreJobs(r -> r.byStatus(RestoreJobStatus.COMPLETED)).restoreJobs().stream()
        .anyMatch(j -> j.restoreJobId().equals(id) && created.equals(j.createdResourceArn())));

    AgentApiTest.assertError(s.gw().post("/restore-jobs/" + id + "/complete",
        new JsonObject().put("createdResourceArn", created)), 409, "LeaseNotHeld");
  }

  @Test
  void aRestoresFailReportEndsItFailedAndOnlyItsHolderMayReport() {
    Setup s = setup();
    String id = s.restore();
    AgentClient other = AgentClient.register(env.endpoint(), s.key(), "site-b");
    AgentApiTest.assertError(s.gw().post("/restore-jobs/" + id + "/progress", new JsonObject()), 409, "LeaseNotHeld");
    assertEquals(id, s.gw().post("/restore-jobs/lease", new JsonObject()).body().getJsonObject("job").getString("jobId"));
    for (Reply r : new Reply[] {
        other.post("/restore-jobs/" + id + "/progress", new JsonObject().put("percentDone", 1)),
        other.post("/restore-jobs/" + id + "/complete", new JsonObject().put("createdResourceArn", s.vm("x"))),
        other.post("/restore-jobs/" + id + "/fail", new JsonObject().put("message", "no"))}) {
      AgentApiTest.assertError(r, 409, "LeaseNotHeld");
      assertTrue(r.body().getString("message").contains(s.gw().gatewayId), r.body().encode());
    }
    AgentApiTest.assertError(s.gw().post("/restore-jobs/NOPE/fail", new JsonObject().put("message", "x")), 404,
        "ResourceNotFoundException");
    AgentApiTest.assertError(s.gw().post("/restore-jobs/" + id + "/complete", new JsonObject()), 400,
        "MissingParameterValueException");
    AgentApiTest.assertError(s.gw().post("/restore-jobs/" + id + "/complete",
        new JsonObject().put("createdResourceArn", "vm-7")), 400, "InvalidParameterValueException");
    AgentApiTest.assertError(s.gw().post("/restore-jobs/" + id + "/complete",
        new JsonObject().put("createdResourceArn", s.vm("y")).put("extra", 1)), 400, "InvalidParameterValueException");
    AgentApiTest.assertError(s.gw().post("/restore-jobs/lease", new JsonObject().put("leaseSeconds", 1)), 400,
        "InvalidParameterValueException");
    assertEquals(RestoreJobStatus.RUNNING, s.describe(id).status(), "bad requests change nothing");

    Reply failed = s.gw().post("/restore-jobs/" + id + "/fail", new JsonObject().put("message", "datastore full"));
    assertEquals(200, failed.status(), failed.body().encode());
    assertEquals("FAILED", failed.body().getString("state"));
    DescribeRestoreJobResponse d = s.describe(id);
    assertEquals(RestoreJobStatus.FAILED, d.status());
    assertEquals("datastore full", d.statusMessage());
    assertNotNull(d.completionDate());
    assertNull(d.createdResourceArn());
  }

  @Test
  void aGatewayNeverLeasesAnotherAccountsRestores() {
    Setup a = setup();
    a.restore();
    Setup b = setup();
    assertFalse(b.gw().post("/restore-jobs/lease", new JsonObject()).body().containsKey("job"));
    assertTrue(a.gw().post("/restore-jobs/lease", new JsonObject()).body().containsKey("job"));
  }

  @Test
  void anExpiredRestoreLeasePutsTheJobBackThenFailsItAfterThreeLeases() {
    Setup s = setup();
    String id = s.restore();
    PgCopyAndRestoreLeases leases = new PgCopyAndRestoreLeases(env.coordinator.pool());
    PgRestoreJobStore restores = new PgRestoreJobStore(env.coordinator.pool());
    String account = s.key().accountId();
    Duration lease = Duration.ofMinutes(5);
    Instant t = Instant.now().plus(Duration.ofMinutes(1)).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    for (int attempt = 1; attempt <= PgCopyAndRestoreLeases.MAX_ATTEMPTS; attempt++) {
      var leased = await(leases.leaseRestore(account, "sgw-R" + attempt, t, lease));
      assertEquals(id, leased.job().jobId());
      assertEquals(t.plus(lease), leased.expiresAt());
      await(leases.progressRestore(account, "sgw-R" + attempt, id, "10.0", t.plus(Duration.ofMinutes(3)), lease));
      await(leases.sweep(t.plus(Duration.ofMinutes(7))));
      assertEquals("RUNNING", await(restores.find(account, id)).status(), "progress renewed the lease");
      t = t.plus(Duration.ofMinutes(9));
      PgCopyAndRestoreLeases.Sweep sweep = await(leases.sweep(t));
      RestoreJob after = await(restores.find(account, id));
      if (attempt < PgCopyAndRestoreLeases.MAX_ATTEMPTS) {
        assertTrue(sweep.requeued() >= 1);
        assertEquals("PENDING", after.status());
        assertTrue(after.statusMessage().contains("sgw-R" + attempt), after.statusMessage());
        assertNull(after.completedAt());
        String holder = "sgw-R" + attempt;
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
            () -> await(leases.progressRestore(account, holder, id, "20.0", Instant.now(), lease))).getCause()
            instanceof dev.vaultgate.coordinator.backup.LeaseException, "a lost lease cannot be renewed");
      } else {
        assertTrue(sweep.failed() >= 1);
        assertEquals("FAILED", after.status());
        assertTrue(after.statusMessage().contains("after 3 leases"), after.statusMessage());
        assertNotNull(after.completedAt());
      }
    }
    assertNull(await(leases.leaseRestore(account, "sgw-Z", t, lease)));
    assertEquals(RestoreJobStatus.FAILED, s.describe(id).status());
  }

  @Test
  void aLocalVolumeRestoreGivenOnlyATargetRunsWithThePointsOwnRestoreMetadata() {
    AccessKey key = env.newAccount();
    BackupClient backup = env.client(key);
    String vault = unique("volumes");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    String volume = "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":local-volume/sgw-0A1B2C3D/db";
    String backupJob = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(volume)
        .iamRoleArn("arn:aws:iam::" + key.accountId() + ":role/backup")).backupJobId();
    Map<String, String> own = Map.of("vaultgate:localVolume", "db", "vaultgate:recoveryPointId", "3f9c0d1e",
        "vaultgate:bytesRead", "4096");
    String point = await(new PgRecoveryPointStore(env.coordinator.pool())
        .completeBackup(key.accountId(), backupJob, 4096L, own, Instant.now())).arn();
    assertEquals(own, backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName(vault).recoveryPointArn(point))
        .restoreMetadata());
    AgentClient gw = AgentClient.register(env.endpoint(), key, "site-v");

    String id = backup.startRestoreJob(r -> r.recoveryPointArn(point).iamRoleArn("arn:aws:iam::" + key.accountId() + ":role/backup")
        .metadata(Map.of("TargetDirectory", "/srv/restored"))).restoreJobId();
    Reply lease = gw.post("/restore-jobs/lease", new JsonObject().put("leaseSeconds", 120));
    assertEquals(200, lease.status(), lease.body().encode());
    JsonObject job = lease.body().getJsonObject("job");
    assertEquals(id, job.getString("jobId"));
    assertEquals("LocalVolume", job.getString("resourceType"));
    assertEquals(new JsonObject().put("vaultgate:localVolume", "db").put("vaultgate:recoveryPointId", "3f9c0d1e")
        .put("vaultgate:bytesRead", "4096").put("TargetDirectory", "/srv/restored"), job.getJsonObject("metadata"),
        "the point's own keys under the caller's target");
  }

  @Test
  void restoreMetadataThatMakesNoSenseIsAnInvalidParameterNamingTheKeyAndStartsNoJob() {
    Setup s = setup();
    String role = "arn:aws:iam::" + s.key().accountId() + ":role/backup";
    var wrongKey = org.junit.jupiter.api.Assertions.assertThrows(InvalidParameterValueException.class, () -> s.backup()
        .startRestoreJob(r -> r.recoveryPointArn(s.point()).iamRoleArn(role).metadata(Map.of("VMName", "x", "Datastore", "ds1"))));
    assertEquals(400, wrongKey.statusCode());
    assertTrue(wrongKey.awsErrorDetails().errorMessage().startsWith(
        "Metadata key Datastore is not a restore setting of a VirtualMachine recovery point (did you mean VMDatastore?)"),
        wrongKey.awsErrorDetails().errorMessage());
    var wrongValue = org.junit.jupiter.api.Assertions.assertThrows(InvalidParameterValueException.class, () -> s.backup()
        .startRestoreJob(r -> r.recoveryPointArn(s.point()).iamRoleArn(role).metadata(Map.of("PowerOn", "maybe"))));
    assertEquals("Metadata key PowerOn must be true or false, got 'maybe'", wrongValue.awsErrorDetails().errorMessage());
    var added = org.junit.jupiter.api.Assertions.assertThrows(InvalidParameterValueException.class, () -> s.backup()
        .startRestoreJob(r -> r.recoveryPointArn(s.point()).iamRoleArn(role)
            .metadata(Map.of("vaultgate:recoveryPointId", "another"))));
    assertTrue(added.awsErrorDetails().errorMessage().startsWith("Metadata key vaultgate:recoveryPointId"),
        added.awsErrorDetails().errorMessage());
    assertEquals(0, s.backup().listRestoreJobs(r -> { }).restoreJobs().size(), "no job was started");
    assertFalse(s.gw().post("/restore-jobs/lease", new JsonObject()).body().containsKey("job"));
  }
}
