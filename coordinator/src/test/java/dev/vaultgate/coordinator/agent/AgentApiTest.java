package dev.vaultgate.coordinator.agent;

import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;
import software.amazon.awssdk.services.backup.model.RecoveryPointByBackupVault;
import software.amazon.awssdk.services.backup.model.RecoveryPointStatus;

/**
 * The agent API end to end: a gateway registers with an account's key, leases the jobs the AWS
 * Backup API started, reports progress and completes or fails them, and the AWS SDK sees every
 * step. Each test works in a fresh account, so no other test's jobs are in its queue.
 */
class AgentApiTest {

  static TestCoordinator env;

  /** A fresh account: its key, an SDK client, a vault. */
  record Account(AccessKey key, BackupClient backup, String vault, String role) {
    String start(String vm) {
      return backup.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn(role).resourceArn(vmArn(vm))).backupJobId();
    }

    String vmArn(String vm) {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/" + vm;
    }

    AgentClient gateway(String name) {
      return AgentClient.register(env.endpoint(), key, name);
    }
  }

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
  }

  static Account account() {
    AccessKey key = env.newAccount();
    BackupClient backup = env.client(key);
    String vault = unique("agent");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    return new Account(key, backup, vault, "arn:aws:iam::" + key.accountId() + ":role/backup");
  }

  @Test
  void aGatewayLeasesReportsProgressAndCompletesAJobThatTheSdkThenSeesWithItsRecoveryPoint() {
    Account a = account();
    AgentClient gw = a.gateway("site-a");
    assertTrue(gw.gatewayId.matches("sgw-[0-9A-F]{8}"));
    Reply beat = gw.post("/heartbeat", new JsonObject().put("softwareVersion", "1.2.3"));
    assertEquals(200, beat.status());
    assertEquals(gw.gatewayId, beat.body().getString("gatewayId"));
    assertNotNull(Instant.parse(beat.body().getString("serverTime")));

    String jobId = a.start("vm-1");
    Reply lease = gw.lease();
    assertEquals(200, lease.status(), lease.body().encode());
    JsonObject job = lease.body().getJsonObject("job");
    assertEquals(jobId, job.getString("jobId"));
    assertEquals("BACKUP", job.getString("kind"));
    assertEquals(a.vmArn("vm-1"), job.getString("resourceArn"));
    assertEquals(a.vault(), job.getString("backupVaultName"));
    assertTrue(Instant.parse(job.getString("leaseExpiresAt")).isAfter(Instant.now()));
    assertNotNull(job.getString("completeBy"));
    assertEquals(BackupJobState.RUNNING, a.backup().describeBackupJob(r -> r.backupJobId(jobId)).state());

    Reply progress = gw.progress(jobId, 42.5, 1000);
    assertEquals(200, progress.status(), progress.body().encode());
    assertEquals("RUNNING", progress.body().getString("state"));
    assertFalse(progress.body().getBoolean("stop"));
    DescribeBackupJobResponse running = a.backup().describeBackupJob(r -> r.backupJobId(jobId));
    assertEquals("42.5", running.percentDone());
    assertEquals(1000L, running.bytesTransferred());

    Reply done = gw.complete(jobId, 8192);
    assertEquals(200, done.status(), done.body().encode());
    assertEquals("COMPLETED", done.body().getString("state"));
    String pointArn = done.body().getString("recoveryPointArn");
    assertEquals(job.getString("recoveryPointArn"), pointArn);

    DescribeBackupJobResponse completed = a.backup().describeBackupJob(r -> r.backupJobId(jobId));
    assertEquals(BackupJobState.COMPLETED, completed.state());
    assertEquals(8192L, completed.backupSizeInBytes());
    RecoveryPointByBackupVault point = a.backup().listRecoveryPointsByBackupVault(r -> r.backupVaultName(a.vault()))
        .recoveryPoints().get(0);
    assertEquals(pointArn, point.recoveryPointArn());
    assertEquals(RecoveryPointStatus.COMPLETED, point.status());
    assertEquals(8192L, point.backupSizeInBytes());

    assertEquals("LeaseNotHeld", gw.complete(jobId, 1).error(), "a job completes once");
    assertFalse(gw.lease().body().containsKey("job"), "nothing else waits");
  }

  @Test
  void aLeaseAnswersNoJobWhenNothingWaits() {
    Reply r = account().gateway("idle").lease();
    assertEquals(200, r.status());
    assertEquals(new JsonObject(), r.body());
  }

  @Test
  void aFailedJobEndsFailedWithTheGatewaysMessage() {
    Account a = account();
    AgentClient gw = a.gateway("site-a");
    String jobId = a.start("vm-f");
    assertEquals(jobId, gw.lease().body().getJsonObject("job").getString("jobId"));
    Reply failed = gw.fail(jobId, "snapshot of vm-f failed: datastore full");
    assertEquals("FAILED", failed.body().getString("state"));
    DescribeBackupJobResponse d = a.backup().describeBackupJob(r -> r.backupJobId(jobId));
    assertEquals(BackupJobState.FAILED, d.state());
    assertEquals("snapshot of vm-f failed: datastore full", d.statusMessage());
    assertNotNull(d.completionDate());
  }

  @Test
  void stopBackupJobTellsTheHolderToStopAndItsFailReportAbortsTheJob() {
    Account a = account();
    AgentClient gw = a.gateway("site-a");
    String jobId = a.start("vm-s");
    gw.lease();
    a.backup().stopBackupJob(r -> r.backupJobId(jobId));
    assertEquals(BackupJobState.ABORTING, a.backup().describeBackupJob(r -> r.backupJobId(jobId)).state());
    Reply progress = gw.progress(jobId, 50, 10);
    assertTrue(progress.body().getBoolean("stop"));
    assertEquals("ABORTING", progress.body().getString("state"));
    Reply complete = gw.complete(jobId, 10);
    assertEquals(409, complete.status());
    assertEquals("JobStopping", complete.error());
    assertEquals("ABORTED", gw.fail(jobId, "stopped on request").body().getString("state"));
    assertEquals(BackupJobState.ABORTED, a.backup().describeBackupJob(r -> r.backupJobId(jobId)).state());
  }

  @Test
  void onlyTheGatewayHoldingTheLeaseCanReportOnTheJob() {
    Account a = account();
    AgentClient holder = a.gateway("site-a");
    AgentClient other = a.gateway("site-b");
    String jobId = a.start("vm-h");
    holder.lease();
    for (Reply r : new Reply[] {other.progress(jobId, 1, 1), other.complete(jobId, 1), other.fail(jobId, "no")}) {
      assertEquals(409, r.status(), r.body().encode());
      assertEquals("LeaseNotHeld", r.error());
      assertTrue(r.body().getString("message").contains(holder.gatewayId), r.body().getString("message"));
    }
    assertEquals(200, holder.complete(jobId, 5).status());
  }

  @Test
  void aGatewayNeverSeesAnotherAccountsJobs() {
    Account a = account();
    Account b = account();
    String jobId = a.start("vm-x");
    AgentClient gwB = b.gateway("site-b");
    assertFalse(gwB.lease().body().containsKey("job"));
    Reply r = gwB.progress(jobId, 1, 1);
    assertEquals(404, r.status());
    assertEquals("ResourceNotFoundException", r.error());
  }

  @Test
  void aResourceInAGatewaysInventoryIsLeasedOnlyByThatGateway() {
    Account a = account();
    AgentClient siteA = a.gateway("site-a");
    AgentClient siteB = a.gateway("site-b");
    Reply inv = siteB.post("/inventory", new JsonObject().put("complete", true).put("resources", new JsonArray()
        .add(new JsonObject().put("resourceArn", a.vmArn("vm-b")).put("resourceType", "VirtualMachine")
            .put("name", "db-01").put("tags", new JsonObject().put("env", "prod")))));
    assertEquals(200, inv.status(), inv.body().encode());
    assertEquals(1, inv.body().getInteger("resources"));
    String jobId = a.start("vm-b");
    assertFalse(siteA.lease().body().containsKey("job"), "site-a cannot reach vm-b");
    assertEquals(jobId, siteB.lease().body().getJsonObject("job").getString("jobId"));

    Reply dropped = siteB.post("/inventory", new JsonObject().put("complete", true).put("resources", new JsonArray()));
    assertEquals(0, dropped.body().getInteger("resources"));
  }

  @Test
  void badRequestsAnswerAJsonErrorWithAOneLineMessage() {
    Account a = account();
    AgentClient gw = a.gateway("site-a");
    assertError(gw.postRaw("/heartbeat", "{}", null), 401, "MissingAuthenticationTokenException");
    assertError(gw.postRaw("/heartbeat", "{}", "Bearer vgt_forged"), 401, "UnrecognizedClientException");
    assertError(gw.postRaw("/heartbeat", "{not json", "Bearer " + gw.token), 400, "SerializationException");
    assertError(gw.postRaw("/heartbeat", "[1]", "Bearer " + gw.token), 400, "SerializationException");
    assertError(gw.post("/heartbeat", new JsonObject().put("surprise", 1)), 400, "InvalidParameterValueException");
    assertError(gw.post("/backup-jobs/lease", new JsonObject().put("leaseSeconds", 5)), 400,
        "InvalidParameterValueException");
    assertError(gw.post("/backup-jobs/lease", new JsonObject().put("leaseSeconds", "long")), 400,
        "InvalidParameterValueException");
    assertError(gw.post("/backup-jobs/NOPE/complete", new JsonObject().put("backupSizeInBytes", 1)), 404,
        "ResourceNotFoundException");
    assertError(gw.post("/backup-jobs/NOPE/complete", new JsonObject()), 400, "MissingParameterValueException");
    assertError(gw.post("/backup-jobs/NOPE/progress", new JsonObject().put("percentDone", 101)), 400,
        "InvalidParameterValueException");
    assertError(gw.post("/backup-jobs/NOPE/fail", new JsonObject()), 400, "MissingParameterValueException");
    assertError(gw.post("/no-such-thing", new JsonObject()), 404, "UnknownOperationException");
    assertError(gw.postRaw("/heartbeat", "{\"softwareVersion\":\"" + "x".repeat(2 << 20) + "\"}",
        "Bearer " + gw.token), 413, "RequestEntityTooLargeException");
    assertError(gw.post("/inventory", new JsonObject().put("resources", new JsonArray().add(new JsonObject()
            .put("resourceArn", "arn:aws:ec2:us-east-1:" + a.key().accountId() + ":instance/i-1")
            .put("resourceType", "VirtualMachine").put("name", "x")))), 400, "InvalidParameterValueException");
    assertError(gw.post("/inventory", new JsonObject().put("resources", new JsonArray().add(new JsonObject()
            .put("resourceArn", "arn:aws:backup-gateway:us-east-1:999999999999:vm/v")
            .put("resourceType", "VirtualMachine").put("name", "x")))), 400, "InvalidParameterValueException");
  }

  @Test
  void registeringNeedsAValidSignatureAndAName() {
    AccessKey key = env.newAccount();
    AgentClient probe = AgentClient.register(env.endpoint(), key, "probe");
    assertError(probe.postRaw("/gateways", "{\"name\":\"x\"}", null), 403, "MissingAuthenticationTokenException");
    AccessKey forged = new AccessKey(key.accessKeyId(), "wrong-secret-wrong-secret-wrong-secret00", key.accountId());
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), forged, "POST", "/agent/v1/gateways", "{\"name\":\"x\"}");
    assertEquals(403, r.status());
    assertEquals("InvalidSignatureException", r.json().getString("error"));
    SignedHttp.Response noName = SignedHttp.send(env.endpoint(), key, "POST", "/agent/v1/gateways", "{}");
    assertEquals(400, noName.status());
    SignedHttp.Response badName = SignedHttp.send(env.endpoint(), key, "POST", "/agent/v1/gateways",
        "{\"name\":\"../etc\"}");
    assertEquals(400, badName.status());
    assertEquals("InvalidParameterValueException", badName.json().getString("error"));
  }

  static void assertError(Reply r, int status, String type) {
    assertEquals(status, r.status(), r.body().encode());
    assertEquals(type, r.error(), r.body().encode());
    String message = r.body().getString("message");
    assertNotNull(message);
    assertFalse(message.contains("\n") || message.contains("\tat "), message);
    assertNull(r.body().getValue("stackTrace"));
  }
}
