package dev.vaultgate.coordinator.scheduler;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.backup.BackupJob;
import dev.vaultgate.coordinator.backup.PgBackupJobStore;
import dev.vaultgate.coordinator.backup.PgRecoveryPointStore;
import dev.vaultgate.coordinator.backup.RecoveryPoint;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;

/**
 * The scheduler driven by explicit times, over a database of its own (so no other test's plans
 * are due at the times it chooses): years of schedule run in seconds.
 */
class SchedulerTest {

  static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  static TestCoordinator env;
  static Coordinator first;
  static Coordinator second;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    String db = "scheduler_" + UUID.randomUUID().toString().replace("-", "");
    await(env.coordinator.pool().query("CREATE DATABASE " + db).execute());
    String url = env.coordinator.embeddedDatabaseUrl().orElseThrow().replaceFirst("/postgres$", "/" + db);
    first = await(Coordinator.start(env.vertx, config(url), Map.of(), Clock.systemUTC()));
    second = await(Coordinator.start(env.vertx, config(url), Map.of(), Clock.systemUTC()));
  }

  @AfterAll
  static void stop() {
    await(second.close());
    await(first.close());
  }

  static CoordinatorConfig config(String url) {
    Path data = Path.of("target", "test-data", "scheduler-" + UUID.randomUUID()).toAbsolutePath();
    return new CoordinatorConfig("127.0.0.1", 0, data, url, "us-east-1", "000000000000", 1, 1 << 20, Duration.ZERO);
  }

  static URI endpoint(Coordinator c) {
    return URI.create("http://127.0.0.1:" + c.port());
  }

  /** A fresh account with a vault, a gateway that reported {@code vms} (name -> env tag), and a plan with one rule. */
  record Setup(AccessKey key, BackupClient backup, String vault, String planId, AgentClient gw) {
    String vm(String name) {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/" + name;
    }
  }

  static Setup setup(String schedule, String zone, Map<String, String> vms) {
    AccessKey key = await(first.accessKeys().issue(String.format("%012d",
        Math.abs(UUID.randomUUID().getMostSignificantBits()) % 1_000_000_000_000L)));
    BackupClient backup = TestCoordinator.client(endpoint(first), key);
    String vault = unique("sched");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    JsonArray resources = new JsonArray();
    vms.forEach((name, envTag) -> resources.add(new JsonObject()
        .put("resourceArn", "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/" + name)
        .put("resourceType", "VirtualMachine").put("name", name).put("tags", new JsonObject().put("env", envTag))));
    AgentClient gw = AgentClient.register(endpoint(first), key, "site");
    assertEquals(200, gw.post("/inventory", new JsonObject().put("resources", resources)).status());
    // the 2.20.0 SDK has no ScheduleExpressionTimezone: the plan goes over the wire as the CLI sends it
    JsonObject plan = new JsonObject().put("BackupPlan", new JsonObject().put("BackupPlanName", unique("plan"))
        .put("Rules", new JsonArray().add(new JsonObject().put("RuleName", "daily").put("TargetBackupVaultName", vault)
            .put("ScheduleExpression", schedule).put("ScheduleExpressionTimezone", zone)
            .put("StartWindowMinutes", 60).put("CompletionWindowMinutes", 120)
            .put("Lifecycle", new JsonObject().put("DeleteAfterDays", 35)))));
    SignedHttp.Response created = SignedHttp.send(endpoint(first), key, "PUT", "/backup/plans/", plan.encode());
    assertEquals(200, created.status(), created.body());
    String planId = created.json().getString("BackupPlanId");
    backup.createBackupSelection(r -> r.backupPlanId(planId).backupSelection(s -> s.selectionName("prod-vms")
        .iamRoleArn("arn:aws:iam::" + key.accountId() + ":role/backup")
        .resources("arn:aws:backup-gateway:*:*:vm/*")
        .notResources("*:vm/skip-*")
        .conditions(c -> c.stringEquals(e -> e.conditionKey("aws:ResourceTag/env").conditionValue("prod")))));
    return new Setup(key, backup, vault, planId, gw);
  }

  static List<BackupJob> jobs(String account) {
    List<BackupJob> out = new ArrayList<>();
    PgBackupJobStore store = new PgBackupJobStore(first.pool());
    String token = null;
    do {
      var page = await(store.list(account, new BackupJob.Filter(null, null, null, null, null, null, null, null), token, 1000));
      out.addAll(page.items());
      token = page.nextToken();
    } while (token != null);
    return out;
  }

  @Test
  void aDailyCronInTheRulesTimeZoneBacksUpTheSelectedResourcesEveryDayForAYear() {
    Setup s = setup("cron(0 5 ? * * *)", "Europe/Paris",
        Map.of("web-1", "prod", "db-1", "prod", "skip-me", "prod", "dev-1", "dev"));
    LocalDate first = LocalDate.of(2027, 1, 1);
    int days = 400; // crosses both DST changes
    for (int d = 0; d < days; d++) {
      Instant at = ZonedDateTime.of(first.plusDays(d), LocalTime.of(5, 20), PARIS).toInstant();
      await(SchedulerTest.first.scheduler().tick(at));
      await(SchedulerTest.first.scheduler().tick(at.plusSeconds(1))); // a tick runs once
    }
    List<BackupJob> jobs = jobs(s.key().accountId());
    assertEquals(2 * days, jobs.size());
    for (BackupJob j : jobs) {
      ZonedDateTime scheduled = j.startBy().minus(Duration.ofMinutes(60)).atZone(PARIS);
      assertEquals(LocalTime.of(5, 0), scheduled.toLocalTime(), j.startBy().toString());
      assertTrue(j.resourceArn().equals(s.vm("web-1")) || j.resourceArn().equals(s.vm("db-1")), j.resourceArn());
      assertEquals(s.planId(), j.createdBy().getString("BackupPlanId"));
      assertEquals(35L, j.lifecycle().getLong("DeleteAfterDays"));
      assertEquals(s.vault(), j.vaultName());
    }
    long expired = jobs.stream().filter(j -> j.state().equals("EXPIRED")).count();
    assertEquals(2 * (days - 1), expired, "no gateway took them: each expired after its start window");
    assertEquals(2, jobs.stream().filter(j -> j.state().equals("CREATED")).count());
  }

  @Test
  void twoReplicasTickingTogetherCreateEachScheduledJobOnce() {
    Setup s = setup("cron(30 * ? * * *)", "UTC", Map.of("a", "prod", "b", "prod", "c", "prod"));
    Instant start = Instant.parse("2028-06-01T00:45:00Z");
    int hours = 48;
    for (int h = 0; h < hours; h++) {
      Instant at = start.plus(Duration.ofHours(h));
      List<Future<Scheduler.Tick>> ticks = List.of(first.scheduler().tick(at), second.scheduler().tick(at),
          first.scheduler().tick(at), second.scheduler().tick(at));
      await(Future.all(ticks));
      // other tests' plans live in this database too: count this account's jobs
      assertEquals(3 * (h + 1), jobs(s.key().accountId()).size(), "hour " + h);
    }
    assertEquals(3 * hours, jobs(s.key().accountId()).size());
    Row runs = await(first.pool().preparedQuery("SELECT count(*) FROM backup_schedule_runs WHERE plan_id = $1")
        .execute(Tuple.of(s.planId()))).iterator().next();
    assertEquals(hours, runs.getLong(0));
  }

  @Test
  void lifecycleMovesPointsToColdThenDeletesThemUnlessALegalHoldKeepsThem() {
    Setup s = setup("cron(0 5 ? * * *)", "UTC", Map.of());
    String heldVault = unique("held");
    s.backup().createBackupVault(r -> r.backupVaultName(heldVault));
    Instant t0 = Instant.parse("2029-01-01T00:00:00Z");
    RecoveryPoint free = point(s, s.vault(), t0);
    RecoveryPoint held = point(s, heldVault, t0);
    s.backup().createLegalHold(r -> r.title("case").description("keep")
        .recoveryPointSelection(sel -> sel.vaultNames(heldVault)));

    PgRecoveryPointStore points = new PgRecoveryPointStore(first.pool());
    await(first.scheduler().tick(t0.plus(Duration.ofDays(29))));
    assertEquals("WARM", await(points.findByArn(s.key().accountId(), free.arn())).storageClass());
    await(first.scheduler().tick(t0.plus(Duration.ofDays(31))));
    assertEquals("COLD", await(points.findByArn(s.key().accountId(), free.arn())).storageClass());
    assertEquals("COLD", await(points.findByArn(s.key().accountId(), held.arn())).storageClass());

    Scheduler.Tick late = await(first.scheduler().tick(t0.plus(Duration.ofDays(121))));
    assertTrue(late.lifecycle().deleted() >= 1);
    assertTrue(late.lifecycle().keptByHoldOrLock() >= 1);
    assertNull(await(points.findByArn(s.key().accountId(), free.arn())));
    assertEquals("COLD", await(points.findByArn(s.key().accountId(), held.arn())).storageClass(),
        "a legal hold keeps the point past its lifecycle");
  }

  @Test
  void aScheduledJobIntoAVaultThatNoLongerExistsIsCreatedFailedWithTheReason() {
    Setup s = setup("cron(0 5 ? * * *)", "UTC", Map.of("web-1", "prod", "web-2", "prod"));
    s.backup().deleteBackupVault(r -> r.backupVaultName(s.vault()));
    await(first.scheduler().tick(Instant.parse("2030-03-01T05:10:00Z")));
    List<BackupJob> jobs = jobs(s.key().accountId());
    assertEquals(2, jobs.size());
    for (BackupJob j : jobs) {
      assertEquals("FAILED", j.state());
      assertTrue(j.statusMessage().contains("Backup vault " + s.vault() + " of rule daily does not exist"),
          j.statusMessage());
      assertEquals(Instant.parse("2030-03-01T05:10:00Z"), j.completedAt());
    }
    var described = s.backup().describeBackupJob(r -> r.backupJobId(jobs.get(0).jobId()));
    assertEquals(software.amazon.awssdk.services.backup.model.BackupJobState.FAILED, described.state());
    assertTrue(described.statusMessage().contains("does not exist"), described.statusMessage());
    assertTrue(s.gw().lease().body().isEmpty(), "nothing to lease");
  }

  @Test
  void deleteAfterDaysNeverDeletesAPointUnderAComplianceLockBeforeMinRetentionDays() {
    Setup s = setup("cron(0 5 ? * * *)", "UTC", Map.of());
    Instant t0 = Instant.parse("2032-01-01T00:00:00Z");
    RecoveryPoint p = point(s, s.vault(), t0, new JsonObject().put("DeleteAfterDays", 7));
    assertEquals(t0.plus(Duration.ofDays(7)), p.deleteAt());
    // the lock comes after the point: its lifecycle is shorter than the lock's minimum
    s.backup().putBackupVaultLockConfiguration(r -> r.backupVaultName(s.vault()).minRetentionDays(30L)
        .maxRetentionDays(3650L).changeableForDays(3L));
    PgRecoveryPointStore points = new PgRecoveryPointStore(first.pool());
    for (int day : new int[] {7, 8, 15, 29}) {
      Scheduler.Tick tick = await(first.scheduler().tick(t0.plus(Duration.ofDays(day)).plusSeconds(120)));
      assertNotNull(await(points.findByArn(s.key().accountId(), p.arn())), "day " + day);
      assertTrue(tick.lifecycle().keptByHoldOrLock() >= 1, "day " + day);
    }
    await(first.scheduler().tick(t0.plus(Duration.ofDays(30)).plusSeconds(120)));
    assertNull(await(points.findByArn(s.key().accountId(), p.arn())), "deleted once MinRetentionDays has passed");
  }

  @Test
  void aScheduledBackupWithACopyActionIsCopiedAfterItCompletesAndTheSchedulerRequeuesAnExpiredCopyLease() {
    Setup s = setup("cron(0 5 ? * * *)", "UTC", Map.of("db-1", "prod"));
    String dest = unique("dr");
    String destArn = s.backup().createBackupVault(r -> r.backupVaultName(dest)).backupVaultArn();
    s.backup().updateBackupPlan(r -> r.backupPlanId(s.planId()).backupPlan(p -> p.backupPlanName(unique("copying"))
        .rules(rule -> rule.ruleName("daily").targetBackupVaultName(s.vault()).scheduleExpression("cron(0 5 ? * * *)")
            .startWindowMinutes(60L).completionWindowMinutes(120L).lifecycle(l -> l.deleteAfterDays(35L))
            .copyActions(c -> c.destinationBackupVaultArn(destArn).lifecycle(l -> l.deleteAfterDays(60L))))));
    await(first.scheduler().tick(Instant.parse("2033-01-01T05:10:00Z")));
    BackupJob job = jobs(s.key().accountId()).get(0);
    assertEquals(job.jobId(), s.gw().lease().body().getJsonObject("job").getString("jobId"));
    assertTrue(s.backup().listCopyJobs(r -> { }).copyJobs().isEmpty(), "no copy before the backup completes");
    assertEquals(200, s.gw().complete(job.jobId(), 512).status());

    var copies = s.backup().listCopyJobs(r -> { }).copyJobs();
    assertEquals(1, copies.size());
    String copyId = copies.get(0).copyJobId();
    assertEquals(job.recoveryPointArn(), copies.get(0).sourceRecoveryPointArn());
    assertEquals(s.planId(), copies.get(0).createdBy().backupPlanId());
    assertEquals(copyId, s.gw().post("/copy-jobs/lease", new JsonObject()).body().getJsonObject("job").getString("jobId"));
    Scheduler.Tick later = await(first.scheduler().tick(Instant.now().plus(Duration.ofMinutes(6))));
    assertTrue(later.copiesAndRestores().requeued() >= 1);
    assertEquals("CREATED", s.backup().describeCopyJob(r -> r.copyJobId(copyId)).copyJob().state().toString());

    assertEquals(copyId, s.gw().post("/copy-jobs/lease", new JsonObject()).body().getJsonObject("job").getString("jobId"));
    JsonObject done = s.gw().post("/copy-jobs/" + copyId + "/complete", new JsonObject().put("backupSizeInBytes", 512))
        .body();
    assertEquals("COMPLETED", done.getString("state"), done.encode());
    var point = s.backup().describeRecoveryPoint(r -> r.backupVaultName(dest)
        .recoveryPointArn(done.getString("recoveryPointArn")));
    assertEquals(60L, point.lifecycle().deleteAfterDays());
    assertEquals(s.planId(), point.createdBy().backupPlanId());
  }

  /** A completed point created at {@code t0}: cold after 30 days, deleted after 120. */
  static RecoveryPoint point(Setup s, String vault, Instant t0) {
    return point(s, vault, t0, new JsonObject().put("MoveToColdStorageAfterDays", 30).put("DeleteAfterDays", 120));
  }

  /** A completed point created at {@code t0} with {@code lifecycle}. */
  static RecoveryPoint point(Setup s, String vault, Instant t0, JsonObject lifecycle) {
    String account = s.key().accountId();
    String id = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
    await(new PgBackupJobStore(first.pool()).create(new BackupJob(id, account, vault,
        "arn:aws:backup:us-east-1:" + account + ":backup-vault:" + vault,
        "arn:aws:backup:us-east-1:" + account + ":recovery-point:" + id, s.vm("vm-" + id), "VirtualMachine", "role",
        "CREATED", null, "0.0", null, null, t0, t0.plus(Duration.ofHours(8)), 600, null, null,
        lifecycle, null, null, null, null)));
    return await(new PgRecoveryPointStore(first.pool()).completeBackup(account, id, 10, Map.of(), t0.plusSeconds(60)));
  }
}
