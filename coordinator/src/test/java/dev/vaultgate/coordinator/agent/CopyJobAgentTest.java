package dev.vaultgate.coordinator.agent;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.backup.BackupJob;
import dev.vaultgate.coordinator.backup.CopyJob;
import dev.vaultgate.coordinator.backup.PgBackupJobStore;
import dev.vaultgate.coordinator.backup.PgCopyAndRestoreLeases;
import dev.vaultgate.coordinator.backup.PgCopyJobStore;
import dev.vaultgate.coordinator.backup.PgRecoveryPointStore;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.CopyAction;
import software.amazon.awssdk.services.backup.model.CopyJobState;
import software.amazon.awssdk.services.backup.model.DescribeRecoveryPointResponse;
import software.amazon.awssdk.services.backup.model.RecoveryPointStatus;

/**
 * A plan rule's CopyActions: when a backup job the rule made completes, its copy jobs appear
 * (once, however many replicas report the completion), gateways lease them through the agent
 * API and completing one registers the destination recovery point with the copy's lifecycle,
 * under the destination vault's lock.
 */
class CopyJobAgentTest {

  static TestCoordinator env;
  static Coordinator replica;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    Path data = Path.of("target", "test-data", "copy-replica-" + UUID.randomUUID()).toAbsolutePath();
    replica = await(Coordinator.start(env.vertx, new CoordinatorConfig("127.0.0.1", 0, data,
        env.coordinator.embeddedDatabaseUrl().orElseThrow(), "us-east-1", "000000000000", 1, 1 << 20, Duration.ZERO),
        Map.of(), Clock.systemUTC()));
  }

  @AfterAll
  static void stop() {
    await(replica.close());
  }

  /** A fresh account with a source vault, a gateway, and a plan with one rule (copy actions come with {@link #planWithCopy}). */
  record Setup(AccessKey key, BackupClient backup, String vault, String vaultArn, JsonObject createdBy, AgentClient gw) {
    String vm(String name) {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/" + name;
    }

    /** A backup job of the plan's rule, as the scheduler creates it. */
    String scheduledJob(String vm) {
      String id = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      await(new PgBackupJobStore(env.coordinator.pool()).create(new BackupJob(id, key.accountId(), vault, vaultArn,
          "arn:aws:backup:us-east-1:" + key.accountId() + ":recovery-point:" + UUID.randomUUID(), vm(vm),
          "VirtualMachine", "arn:aws:iam::" + key.accountId() + ":role/backup", "CREATED", null, "0.0", null, null,
          now, now.plus(Duration.ofHours(8)), 600, null, null, new JsonObject().put("DeleteAfterDays", 35), null, null,
          createdBy, null)));
      return id;
    }

    /** Leases the only waiting backup job and completes it; its recovery point ARN. */
    String backUp(String vm) {
      String jobId = scheduledJob(vm);
      assertEquals(jobId, gw.lease().body().getJsonObject("job").getString("jobId"));
      Reply done = gw.complete(jobId, 8192);
      assertEquals(200, done.status(), done.body().encode());
      return done.body().getString("recoveryPointArn");
    }

    List<software.amazon.awssdk.services.backup.model.CopyJob> copiesOf(String pointArn) {
      // the 2.20.0 SDK has no BySourceRecoveryPointArn: the account is fresh, its jobs are few
      return backup.listCopyJobs(r -> r.maxResults(1000)).copyJobs().stream()
          .filter(c -> c.sourceRecoveryPointArn().equals(pointArn)).toList();
    }
  }

  static Setup setup() {
    AccessKey key = env.newAccount();
    BackupClient backup = env.client(key);
    String vault = unique("copysrc");
    String vaultArn = backup.createBackupVault(r -> r.backupVaultName(vault)).backupVaultArn();
    var plan = backup.createBackupPlan(r -> r.backupPlan(p -> p.backupPlanName(unique("copyplan"))
        .rules(rule -> rule.ruleName("daily").targetBackupVaultName(vault).scheduleExpression("cron(0 5 ? * * *)")
            .lifecycle(l -> l.deleteAfterDays(35L)))));
    String ruleId = backup.getBackupPlan(r -> r.backupPlanId(plan.backupPlanId())).backupPlan().rules().get(0).ruleId();
    JsonObject createdBy = new JsonObject().put("BackupPlanId", plan.backupPlanId())
        .put("BackupPlanArn", plan.backupPlanArn()).put("BackupPlanVersion", plan.versionId())
        .put("BackupRuleId", ruleId);
    return new Setup(key, backup, vault, vaultArn, createdBy, AgentClient.register(env.endpoint(), key, "site-a"));
  }

  static String vault(Setup s, String prefix) {
    String name = unique(prefix);
    return s.backup().createBackupVault(r -> r.backupVaultName(name)).backupVaultArn();
  }

  static CopyAction copyTo(String destinationArn, long deleteAfterDays) {
    return CopyAction.builder().destinationBackupVaultArn(destinationArn)
        .lifecycle(l -> l.deleteAfterDays(deleteAfterDays)).build();
  }

  @Test
  void aCompletedBackupOfARuleWithACopyActionMakesOneCopyThatAGatewayCompletesIntoTheLockedDestination() {
    Setup s = setup();
    String dest = vault(s, "copydst");
    String destName = dest.substring(dest.lastIndexOf(':') + 1);
    s.backup().putBackupVaultLockConfiguration(r -> r.backupVaultName(destName).minRetentionDays(30L)
        .maxRetentionDays(365L).changeableForDays(3L));
    Setup withCopy = new Setup(s.key(), s.backup(), s.vault(), s.vaultArn(), planWithCopy(s, copyTo(dest, 90)),
        s.gw());

    String point = withCopy.backUp("vm-1");
    var copies = withCopy.copiesOf(point);
    assertEquals(1, copies.size(), copies.toString());
    var copy = copies.get(0);
    assertEquals(CopyJobState.CREATED, copy.state());
    assertEquals(dest, copy.destinationBackupVaultArn());
    assertEquals(s.vaultArn(), copy.sourceBackupVaultArn());
    assertEquals(90L, await(new PgCopyJobStore(env.coordinator.pool()).find(s.key().accountId(), copy.copyJobId()))
        .lifecycle().getLong("DeleteAfterDays"), "the 2.20.0 SDK does not read DestinationRecoveryPointLifecycle");
    assertEquals(withCopy.createdBy().getString("BackupPlanId"), copy.createdBy().backupPlanId());
    assertEquals(withCopy.createdBy().getString("BackupRuleId"), copy.createdBy().backupRuleId());
    assertEquals(8192L, copy.backupSizeInBytes());

    AgentClient gw = s.gw();
    assertFalse(gw.lease().body().containsKey("job"), "the backup job is done; copies have their own queue");
    Reply lease = gw.post("/copy-jobs/lease", new JsonObject());
    assertEquals(200, lease.status(), lease.body().encode());
    JsonObject job = lease.body().getJsonObject("job");
    assertEquals("COPY", job.getString("kind"));
    assertEquals(copy.copyJobId(), job.getString("jobId"));
    assertEquals(point, job.getString("sourceRecoveryPointArn"));
    assertEquals(copy.destinationRecoveryPointArn(), job.getString("destinationRecoveryPointArn"));
    assertEquals(90L, job.getJsonObject("lifecycle").getLong("DeleteAfterDays"));
    String root = env.coordinator.config().vaultStorageRoot() + "/" + s.key().accountId() + "/";
    assertEquals(root + copy.sourceBackupVaultArn().split(":")[6], job.getString("sourceVaultLocation"));
    assertEquals(root + copy.destinationBackupVaultArn().split(":")[6], job.getString("destinationVaultLocation"));
    assertEquals(job.getString("destinationVaultLocation"), job.getString("vaultLocation"));
    assertNotNull(Instant.parse(job.getString("leaseExpiresAt")));
    assertEquals(CopyJobState.RUNNING, s.backup().describeCopyJob(r -> r.copyJobId(copy.copyJobId())).copyJob().state());
    assertFalse(gw.post("/copy-jobs/lease", new JsonObject()).body().containsKey("job"), "one copy, leased once");

    Reply progress = gw.post("/copy-jobs/" + copy.copyJobId() + "/progress", new JsonObject().put("percentDone", 50));
    assertEquals(200, progress.status(), progress.body().encode());
    assertEquals("RUNNING", progress.body().getString("state"));

    Reply done = gw.post("/copy-jobs/" + copy.copyJobId() + "/complete",
        new JsonObject().put("backupSizeInBytes", 8000));
    assertEquals(200, done.status(), done.body().encode());
    assertEquals("COMPLETED", done.body().getString("state"));
    assertEquals(copy.destinationRecoveryPointArn(), done.body().getString("recoveryPointArn"));
    assertEquals("COMPLIANCE", done.body().getJsonObject("vaultLock").getString("mode"));
    Instant created = Instant.parse(done.body().getString("creationDate"));
    assertEquals(created.plus(Duration.ofDays(90)), Instant.parse(done.body().getString("deleteAt")));

    var completed = s.backup().describeCopyJob(r -> r.copyJobId(copy.copyJobId())).copyJob();
    assertEquals(CopyJobState.COMPLETED, completed.state());
    assertNotNull(completed.completionDate());
    assertEquals(8000L, completed.backupSizeInBytes());
    DescribeRecoveryPointResponse p = s.backup().describeRecoveryPoint(r -> r.backupVaultName(destName)
        .recoveryPointArn(copy.destinationRecoveryPointArn()));
    assertEquals(RecoveryPointStatus.COMPLETED, p.status());
    assertEquals(90L, p.lifecycle().deleteAfterDays());
    assertEquals(dest, p.backupVaultArn());
    assertEquals(s.vm("vm-1"), p.resourceArn());
    assertEquals(created.plus(Duration.ofDays(90)).truncatedTo(ChronoUnit.MILLIS), p.calculatedLifecycle().deleteAt());
    assertEquals("vm", s.backup().getRecoveryPointRestoreMetadata(r -> r.backupVaultName(destName)
        .recoveryPointArn(copy.destinationRecoveryPointArn())).restoreMetadata().get("vmName"),
        "the copy carries the source's restore metadata");

    Reply again = gw.post("/copy-jobs/" + copy.copyJobId() + "/complete", new JsonObject().put("backupSizeInBytes", 1));
    assertEquals(409, again.status());
    assertEquals("LeaseNotHeld", again.error());
    assertEquals(1, withCopy.copiesOf(point).size());
  }

  @Test
  void leasedBackupAndCopyJobsCarryTheKmsKeysTheirVaultsWereCreatedWith() {
    Setup plain = setup();
    var kms = env.kmsClient(plain.key());
    String sourceKey = kms.createKey(b -> b.description("source vault")).keyMetadata().arn();
    String destinationKey = kms.createKey(b -> b.description("destination vault")).keyMetadata().arn();
    String source = unique("kmssrc");
    String sourceArn = plain.backup().createBackupVault(r -> r.backupVaultName(source).encryptionKeyArn(sourceKey)).backupVaultArn();
    String destination = unique("kmsdst");
    String destinationArn = plain.backup().createBackupVault(r -> r.backupVaultName(destination).encryptionKeyArn(destinationKey))
        .backupVaultArn();
    Setup s = new Setup(plain.key(), plain.backup(), source, sourceArn, plain.createdBy(), plain.gw());
    s = new Setup(s.key(), s.backup(), source, sourceArn, planWithCopy(s, copyTo(destinationArn, 30)), s.gw());

    String jobId = s.scheduledJob("vm-k");
    JsonObject backupJob = s.gw().lease().body().getJsonObject("job");
    assertEquals(jobId, backupJob.getString("jobId"));
    assertEquals(sourceKey, backupJob.getString("encryptionKeyArn"), backupJob.encode());
    assertEquals(200, s.gw().complete(jobId, 8192).status());

    Reply lease = s.gw().post("/copy-jobs/lease", new JsonObject());
    JsonObject copy = lease.body().getJsonObject("job");
    assertEquals(sourceKey, copy.getString("sourceEncryptionKeyArn"), copy.encode());
    assertEquals(destinationKey, copy.getString("destinationEncryptionKeyArn"), copy.encode());
    assertEquals(destinationKey, copy.getString("encryptionKeyArn"), "the vault written to: " + copy.encode());

    // A vault created without a key: its jobs name none (the gateway keeps its master key).
    Setup without = setup();
    without.scheduledJob("vm-n");
    JsonObject plainJob = without.gw().lease().body().getJsonObject("job");
    assertFalse(plainJob.containsKey("encryptionKeyArn"), plainJob.encode());
  }

  /** A new version of {@code s}'s plan with {@code copies} on its rule; the createdBy of that version's jobs. */
  static JsonObject planWithCopy(Setup s, CopyAction... copies) {
    String planId = s.createdBy().getString("BackupPlanId");
    var updated = s.backup().updateBackupPlan(r -> r.backupPlanId(planId).backupPlan(p -> p
        .backupPlanName(s.backup().getBackupPlan(g -> g.backupPlanId(planId)).backupPlan().backupPlanName())
        .rules(rule -> rule.ruleName("daily").targetBackupVaultName(s.vault()).scheduleExpression("cron(0 5 ? * * *)")
            .lifecycle(l -> l.deleteAfterDays(35L)).copyActions(copies))));
    return s.createdBy().copy().put("BackupPlanVersion", updated.versionId());
  }

  @Test
  void copiesThatCannotRunAreCreatedFailedWithTheReasonAndOnlyTheOthersAreLeased() {
    Setup s = setup();
    String good = vault(s, "copyok");
    String locked = vault(s, "copylocked");
    s.backup().putBackupVaultLockConfiguration(r -> r.backupVaultName(locked.substring(locked.lastIndexOf(':') + 1))
        .minRetentionDays(60L));
    String missing = "arn:aws:backup:us-east-1:" + s.key().accountId() + ":backup-vault:nowhere";
    String otherRegion = "arn:aws:backup:eu-west-1:" + s.key().accountId() + ":backup-vault:dr";
    Setup withCopies = new Setup(s.key(), s.backup(), s.vault(), s.vaultArn(), planWithCopy(s, copyTo(good, 40),
        copyTo(locked, 30), copyTo(missing, 40), copyTo(otherRegion, 40)), s.gw());
    String point = withCopies.backUp("vm-2");

    Map<String, software.amazon.awssdk.services.backup.model.CopyJob> byDestination = new java.util.HashMap<>();
    withCopies.copiesOf(point).forEach(c -> byDestination.put(c.destinationBackupVaultArn(), c));
    assertEquals(4, byDestination.size(), byDestination.toString());
    assertEquals(CopyJobState.CREATED, byDestination.get(good).state());
    assertFailed(byDestination.get(locked), "MinRetentionDays of 60");
    assertFailed(byDestination.get(missing), "nowhere does not exist");
    assertFailed(byDestination.get(otherRegion), "dr does not exist");

    JsonObject leased = s.gw().post("/copy-jobs/lease", new JsonObject()).body().getJsonObject("job");
    assertEquals(good, leased.getString("destinationBackupVaultArn"));
    assertFalse(s.gw().post("/copy-jobs/lease", new JsonObject()).body().containsKey("job"));
  }

  static void assertFailed(software.amazon.awssdk.services.backup.model.CopyJob c, String reason) {
    assertEquals(CopyJobState.FAILED, c.state(), c.toString());
    assertTrue(c.statusMessage().contains(reason), c.statusMessage());
    assertNotNull(c.completionDate());
  }

  @Test
  void aCopyThatTheDestinationsNewLockRefusesFailsAtCompletionAndRegistersNoPoint() {
    Setup s = setup();
    String dest = vault(s, "copylater");
    String destName = dest.substring(dest.lastIndexOf(':') + 1);
    Setup withCopy = new Setup(s.key(), s.backup(), s.vault(), s.vaultArn(), planWithCopy(s, copyTo(dest, 10)), s.gw());
    String point = withCopy.backUp("vm-3");
    String copyId = withCopy.copiesOf(point).get(0).copyJobId();
    s.backup().putBackupVaultLockConfiguration(r -> r.backupVaultName(destName).minRetentionDays(30L));

    assertEquals(copyId, s.gw().post("/copy-jobs/lease", new JsonObject()).body().getJsonObject("job").getString("jobId"));
    Reply done = s.gw().post("/copy-jobs/" + copyId + "/complete", new JsonObject().put("backupSizeInBytes", 10));
    assertEquals(200, done.status(), done.body().encode());
    assertEquals("FAILED", done.body().getString("state"));
    assertTrue(done.body().getString("statusMessage").contains("MinRetentionDays of 30"), done.body().encode());
    var failed = s.backup().describeCopyJob(r -> r.copyJobId(copyId)).copyJob();
    assertEquals(CopyJobState.FAILED, failed.state());
    assertTrue(failed.statusMessage().contains("MinRetentionDays"), failed.statusMessage());
    assertEquals(0, s.backup().listRecoveryPointsByBackupVault(r -> r.backupVaultName(destName)).recoveryPoints().size());
  }

  @Test
  void aCopyJobsFailReportEndsItFailedAndOnlyItsHolderMayReport() {
    Setup s = setup();
    Setup withCopy = new Setup(s.key(), s.backup(), s.vault(), s.vaultArn(),
        planWithCopy(s, copyTo(vault(s, "copyfail"), 40)), s.gw());
    String copyId = withCopy.copiesOf(withCopy.backUp("vm-4")).get(0).copyJobId();
    AgentClient other = AgentClient.register(env.endpoint(), s.key(), "site-b");
    assertEquals(409, other.post("/copy-jobs/" + copyId + "/fail", new JsonObject().put("message", "x")).status(),
        "not leased yet");
    s.gw().post("/copy-jobs/lease", new JsonObject());
    for (Reply r : new Reply[] {
        other.post("/copy-jobs/" + copyId + "/progress", new JsonObject()),
        other.post("/copy-jobs/" + copyId + "/complete", new JsonObject().put("backupSizeInBytes", 1)),
        other.post("/copy-jobs/" + copyId + "/fail", new JsonObject().put("message", "no"))}) {
      AgentApiTest.assertError(r, 409, "LeaseNotHeld");
    }
    AgentApiTest.assertError(s.gw().post("/copy-jobs/NOPE/progress", new JsonObject()), 404, "ResourceNotFoundException");
    AgentApiTest.assertError(s.gw().post("/copy-jobs/" + copyId + "/complete", new JsonObject()), 400,
        "MissingParameterValueException");
    AgentApiTest.assertError(s.gw().post("/copy-jobs/" + copyId + "/progress", new JsonObject().put("bytes", 1)), 400,
        "InvalidParameterValueException");
    Reply failed = s.gw().post("/copy-jobs/" + copyId + "/fail", new JsonObject().put("message", "target store full"));
    assertEquals("FAILED", failed.body().getString("state"));
    var d = s.backup().describeCopyJob(r -> r.copyJobId(copyId)).copyJob();
    assertEquals(CopyJobState.FAILED, d.state());
    assertEquals("target store full", d.statusMessage());
  }

  @Test
  void twoReplicasReportingOneCompletionTogetherMakeOneCopyEach() {
    Setup s = setup();
    Setup withCopy = new Setup(s.key(), s.backup(), s.vault(), s.vaultArn(),
        planWithCopy(s, copyTo(vault(s, "copyrace"), 40)), s.gw());
    AgentClient viaReplica = s.gw().via(URI.create("http://127.0.0.1:" + replica.port()));
    int jobs = 8;
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < jobs; i++) ids.add(withCopy.scheduledJob("vm-race-" + i));
    List<String> points = new ArrayList<>();
    List<CompletableFuture<Reply>> calls = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      JsonObject job = s.gw().lease().body().getJsonObject("job");
      points.add(job.getString("recoveryPointArn"));
      JsonObject body = new JsonObject().put("backupSizeInBytes", 100);
      calls.add(s.gw().postAsync("/backup-jobs/" + job.getString("jobId") + "/complete", body));
      calls.add(viaReplica.postAsync("/backup-jobs/" + job.getString("jobId") + "/complete", body));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    for (int i = 0; i < jobs; i++) {
      Reply a = calls.get(2 * i).join();
      Reply b = calls.get(2 * i + 1).join();
      assertEquals(1, (a.status() == 200 ? 1 : 0) + (b.status() == 200 ? 1 : 0), a.body() + " / " + b.body());
      assertEquals("LeaseNotHeld", (a.status() == 200 ? b : a).error());
      assertEquals(1, withCopy.copiesOf(points.get(i)).size(), "job " + i);
    }

    // the store refuses a second completion even without the lease check, and the copy stays one
    String id = withCopy.scheduledJob("vm-race-store");
    PgRecoveryPointStore store = new PgRecoveryPointStore(env.coordinator.pool());
    PgRecoveryPointStore other = new PgRecoveryPointStore(replica.pool());
    Future<?> first = store.completeBackup(s.key().accountId(), id, 1, Map.of(), Instant.now());
    Future<?> second = other.completeBackup(s.key().accountId(), id, 1, Map.of(), Instant.now());
    await(Future.join(first, second).otherwise(x -> null));
    assertEquals(1, (first.succeeded() ? 1 : 0) + (second.succeeded() ? 1 : 0));
    String point = await(new PgBackupJobStore(env.coordinator.pool()).find(s.key().accountId(), id)).recoveryPointArn();
    assertEquals(1, withCopy.copiesOf(point).size());
  }

  @Test
  void anExpiredCopyLeasePutsTheCopyBackThenFailsItAfterThreeLeases() {
    Setup s = setup();
    Setup withCopy = new Setup(s.key(), s.backup(), s.vault(), s.vaultArn(),
        planWithCopy(s, copyTo(vault(s, "copyexp"), 40)), s.gw());
    String copyId = withCopy.copiesOf(withCopy.backUp("vm-5")).get(0).copyJobId();
    PgCopyAndRestoreLeases leases = new PgCopyAndRestoreLeases(env.coordinator.pool());
    PgCopyJobStore copies = new PgCopyJobStore(env.coordinator.pool());
    String account = s.key().accountId();
    Instant t = Instant.now().plus(Duration.ofMinutes(1));
    Duration lease = Duration.ofMinutes(5);
    for (int attempt = 1; attempt <= PgCopyAndRestoreLeases.MAX_ATTEMPTS; attempt++) {
      var leased = await(leases.leaseCopy(account, "sgw-X" + attempt, t, lease));
      assertEquals(copyId, leased.job().jobId());
      assertEquals("RUNNING", leased.job().state());
      await(leases.sweep(t.plus(Duration.ofMinutes(4))));
      assertEquals("RUNNING", await(copies.find(account, copyId)).state(), "the lease still runs");
      t = t.plus(Duration.ofMinutes(6));
      await(leases.sweep(t));
      CopyJob after = await(copies.find(account, copyId));
      if (attempt < PgCopyAndRestoreLeases.MAX_ATTEMPTS) {
        assertEquals("CREATED", after.state());
        assertTrue(after.statusMessage().contains("sgw-X" + attempt), after.statusMessage());
        assertNull(after.completedAt());
      } else {
        assertEquals("FAILED", after.state());
        assertTrue(after.statusMessage().contains("after 3 leases"), after.statusMessage());
        assertNotNull(after.completedAt());
      }
    }
    assertNull(await(leases.leaseCopy(account, "sgw-Y", t, lease)));
  }
}
