package dev.vaultgate.coordinator.restoretest;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.backup.PgRecoveryPointStore;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;

/**
 * Restore testing end to end: plans and selections through boto3 (python3.11; the 2.20.0 Java
 * client lacks these operations), the scheduler starting a restore test at the plan's tick with the
 * selection's overrides, a gateway (the agent API) restoring it, the validation result put through
 * boto3, and the validation window closing into clean-up.
 */
class RestoreTestingApiTest {

  static final String PYTHON = "/root/.pyenv/versions/3.11.7/bin/python3";
  static TestCoordinator env;
  static AccessKey key;
  static BackupClient backup;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    key = env.newAccount();
    backup = env.client(key);
  }

  static JsonObject boto3(String step, String... args) throws IOException, InterruptedException {
    Path script = Path.of("src", "test", "resources", "restoretest", "restore_testing.py").toAbsolutePath();
    List<String> command = new ArrayList<>(List.of(PYTHON, script.toString(), step, env.endpoint().toString(),
        key.accessKeyId(), key.secretAccessKey()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "boto3 step " + step + ": " + err + out);
    return new JsonObject(out.trim());
  }

  @Test
  void aPlanRestoresTheLatestPointWithTheOverridesAndRecordsValidationThenCleansUp() throws Exception {
    assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON);
    String account = key.accountId();
    String vault = unique("tested");
    String vaultArn = backup.createBackupVault(r -> r.backupVaultName(vault)).backupVaultArn();
    String vm = "arn:aws:backup-gateway:us-east-1:" + account + ":vm/vm-tested";
    PgRecoveryPointStore points = new PgRecoveryPointStore(env.coordinator.pool());
    List<String> pointArns = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      String jobId = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(vm)
          .iamRoleArn("arn:aws:iam::" + account + ":role/backup")).backupJobId();
      pointArns.add(await(points.completeBackup(account, jobId, 8192L, Map.of("VMName", "vm-tested",
          "Datastore", "LocalDS_0"), Instant.now())).arn());
      Thread.sleep(5);
    }
    String plan = unique("plan").replace('-', '_');
    String planArn = boto3("setup", plan, vaultArn, vm).getString("planArn");
    assertEquals(new JsonObject().put("VMName", "vm-tested").put("Datastore", "LocalDS_0"),
        boto3("inferred", vault, pointArns.get(1)));

    RestoreTestScheduler scheduler = env.coordinator.restoreTests(new Random(7));
    // the plan's first tick: the next 03:00 UTC after its creation, within its 24-hour start window
    Instant tick = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(3));
    if (!tick.isAfter(Instant.now())) tick = tick.plus(Duration.ofDays(1));
    assertTrue(await(scheduler.tick(tick.minusSeconds(1))).jobsStarted().isEmpty(), "not due before 03:00");
    var run = await(scheduler.tick(tick.plusSeconds(30)));
    assertEquals(1, run.plansRun());
    List<String> ours = run.jobsStarted().stream().filter(id -> {
      var d = backup.describeRestoreJob(r -> r.restoreJobId(id));
      return d.recoveryPointArn() != null && pointArns.contains(d.recoveryPointArn());
    }).toList();
    assertEquals(1, ours.size(), "one resource, one restore test");
    String jobId = ours.get(0);
    assertTrue(await(scheduler.tick(tick.plusSeconds(60))).jobsStarted().stream().noneMatch(ours::contains),
        "the tick runs once");
    var job = backup.describeRestoreJob(r -> r.restoreJobId(jobId));
    assertEquals(pointArns.get(1), job.recoveryPointArn(), "LATEST_WITHIN_WINDOW took the newer point");
    assertEquals(planArn, boto3("describe", jobId).getString("planArn"));
    JsonObject listed = boto3("listed", planArn);
    assertEquals(List.of(jobId), listed.getJsonArray("jobIds").getList());
    assertEquals(List.of(planArn), listed.getJsonArray("planArns").getList());

    // a gateway restores it like any restore, with the selection's overrides over the point's metadata
    AgentClient gw = AgentClient.register(env.endpoint(), key, "site-rt");
    var lease = gw.post("/restore-jobs/lease", new JsonObject());
    assertEquals(200, lease.status(), lease.body().encode());
    JsonObject leased = lease.body().getJsonObject("job");
    assertEquals(jobId, leased.getString("jobId"));
    assertEquals("restore-test", leased.getJsonObject("metadata").getString("VMName"));
    assertEquals("LocalDS_0", leased.getJsonObject("metadata").getString("Datastore"));
    String created = "arn:aws:backup-gateway:us-east-1:" + account + ":vm/restore-test";
    assertEquals(200, gw.post("/restore-jobs/" + jobId + "/complete",
        new JsonObject().put("createdResourceArn", created)).status());

    JsonObject validated = boto3("validate", jobId);
    assertEquals("COMPLETED", validated.getString("status"));
    assertEquals("SUCCESSFUL", validated.getString("validationStatus"));
    assertEquals(null, validated.getString("deletionStatus"));

    // two hours (ValidationWindowHours) after completion: validation closed, clean-up handed on
    var closed = await(scheduler.tick(Instant.now().plus(Duration.ofHours(2)).plusSeconds(5)));
    assertTrue(closed.validationsClosed() >= 1);
    JsonObject after = boto3("describe", jobId);
    assertEquals("SUCCESSFUL", after.getString("validationStatus"), "a result given is kept");
    assertEquals("DELETING", after.getString("deletionStatus"));
    assertEquals("the gateway deletes " + created, after.getString("deletionStatusMessage"));

    boto3("cleanup", plan);
  }

  /**
   * What a gateway that stopped between a restore test's restore and its clean-up needs at its next start: which
   * scratch VMs' jobs are restore tests it ran (an unknown job and an ordinary restore are left out, another gateway
   * is told the test is not its own), a clean-up that FAILED may be reported SUCCESSFUL later (then it is final), and
   * a validation left VALIDATING still times out when the window closes although the deletion is in.
   */
  @Test
  void aGatewayFindsTheRestoreTestsItRanAndReportsTheirLateCleanUp() throws Exception {
    assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON);
    String account = key.accountId();
    String vault = unique("leftover");
    String vaultArn = backup.createBackupVault(r -> r.backupVaultName(vault)).backupVaultArn();
    String vm = "arn:aws:backup-gateway:us-east-1:" + account + ":vm/vm-left";
    String backupJob = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(vm)
        .iamRoleArn("arn:aws:iam::" + account + ":role/backup")).backupJobId();
    String point = await(new PgRecoveryPointStore(env.coordinator.pool()).completeBackup(account, backupJob, 8192L,
        Map.of("VMName", "vm-left"), Instant.now())).arn();
    String plan = unique("left").replace('-', '_');
    boto3("setup", plan, vaultArn, vm);
    Instant tick = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(3));
    if (!tick.isAfter(Instant.now())) tick = tick.plus(Duration.ofDays(1));
    Instant at = tick.plusSeconds(40);
    String jobId = await(env.coordinator.restoreTests(new Random(8)).tick(at)).jobsStarted().stream()
        .filter(id -> point.equals(backup.describeRestoreJob(r -> r.restoreJobId(id)).recoveryPointArn())).findFirst()
        .orElseThrow(() -> new AssertionError("no restore test of " + point));
    AgentClient gw = AgentClient.register(env.endpoint(), key, "site-left");
    var lease = gw.post("/restore-jobs/lease", new JsonObject());
    assertEquals(jobId, lease.body().getJsonObject("job").getString("jobId"), lease.body().encode());
    assertEquals(200, gw.post("/restore-jobs/" + jobId + "/complete", new JsonObject()
        .put("createdResourceArn", "arn:aws:backup-gateway:us-east-1:" + account + ":vm/scratch")).status());
    assertEquals(200, gw.post("/restore-jobs/" + jobId + "/validation", new JsonObject().put("status", "VALIDATING")).status());
    // ... and here the gateway stopped: its scratch VM is left, named for the job
    String ordinary = backup.startRestoreJob(r -> r.recoveryPointArn(point).metadata(Map.of("VMName", "x"))).restoreJobId();
    String unknown = "0AF1B2C3-0000-4000-8000-000000000000";
    // the ordinary restore ends at once, so no other test of this account leases it
    AgentClient other = AgentClient.register(env.endpoint(), key, "site-other");
    assertEquals(ordinary, other.post("/restore-jobs/lease", new JsonObject()).body().getJsonObject("job").getString("jobId"));
    assertEquals(200, other.post("/restore-jobs/" + ordinary + "/fail", new JsonObject().put("message", "not needed")).status());

    var found = gw.post("/restore-tests/find", new JsonObject().put("jobIds", new io.vertx.core.json.JsonArray()
        .add(jobId).add(ordinary).add(unknown)));
    assertEquals(200, found.status(), found.body().encode());
    assertEquals(1, found.body().getJsonArray("restoreTests").size(), "only the restore test: " + found.body().encode());
    JsonObject mine = found.body().getJsonArray("restoreTests").getJsonObject(0);
    assertEquals(jobId, mine.getString("jobId"));
    assertEquals(true, mine.getBoolean("mine"));
    assertEquals("COMPLETED", mine.getString("status"));
    assertEquals("VALIDATING", mine.getString("validationStatus"));
    assertEquals(null, mine.getString("deletionStatus"));
    JsonObject theirs = other.post("/restore-tests/find", new JsonObject().put("jobIds", new io.vertx.core.json.JsonArray()
        .add(jobId))).body().getJsonArray("restoreTests").getJsonObject(0);
    assertEquals(false, theirs.getBoolean("mine"));
    assertEquals(mine.getString("gatewayId"), theirs.getString("gatewayId"));
    assertEquals(400, gw.post("/restore-tests/find", new JsonObject().put("jobIds", new io.vertx.core.json.JsonArray().add(7)))
        .status());

    assertEquals(200, gw.post("/restore-jobs/" + jobId + "/deletion", new JsonObject().put("status", "FAILED")
        .put("message", "cannot destroy VM: vCenter answered no")).status());
    assertEquals(200, gw.post("/restore-jobs/" + jobId + "/deletion", new JsonObject().put("status", "SUCCESSFUL")
        .put("message", "destroyed VM 'vaultgate-restore-test-x' (vm-1)")).status(), "a failed clean-up retried");
    assertEquals(409, gw.post("/restore-jobs/" + jobId + "/deletion", new JsonObject().put("status", "FAILED")).status(),
        "a SUCCESSFUL clean-up is final");

    await(env.coordinator.restoreTests(new Random(8)).tick(Instant.now().plus(Duration.ofHours(5))));
    JsonObject after = boto3("describe", jobId);
    assertEquals("TIMED_OUT", after.getString("validationStatus"), "VALIDATING times out though the deletion is in");
    assertEquals("SUCCESSFUL", after.getString("deletionStatus"));
    assertEquals("destroyed VM 'vaultgate-restore-test-x' (vm-1)", after.getString("deletionStatusMessage"));
    boto3("cleanup", plan);
  }
}
