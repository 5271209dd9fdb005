package dev.vaultgate.coordinator.compliance;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.Coordinator;
import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.backup.PgRecoveryPointStore;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import dev.vaultgate.vault.testing.TestVaults;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.AlreadyExistsException;
import software.amazon.awssdk.services.backup.model.ConflictException;
import software.amazon.awssdk.services.backup.model.ControlInputParameter;
import software.amazon.awssdk.services.backup.model.DescribeFrameworkResponse;
import software.amazon.awssdk.services.backup.model.FrameworkControl;
import software.amazon.awssdk.services.backup.model.InvalidParameterValueException;
import software.amazon.awssdk.services.backup.model.ReportJob;
import software.amazon.awssdk.services.backup.model.ResourceNotFoundException;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * Audit Manager through the real SDK's {@code backup} client (2.20.0): frameworks, report plans and
 * report jobs delivered as CSV and JSON into a real S3 server (s3proxy on loopback), against a
 * coordinator of its own whose report endpoint is that server.
 */
class AuditManagerApiTest {

  static final String ROLE = "arn:aws:iam::000000000000:role/backup";
  static final String VM = "arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-audited";
  static Coordinator coordinator;
  static BackupClient backup;
  static S3AsyncClient s3;
  static String bucket;

  @BeforeAll
  static void start() {
    TestCoordinator env = TestCoordinator.get();
    String db = "auditmgr_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    await(env.coordinator.pool().query("CREATE DATABASE " + db).execute());
    String url = env.coordinator.embeddedDatabaseUrl().orElseThrow().replaceFirst("/postgres$", "/" + db);
    Path data = Path.of("target", "test-data", "auditmgr-" + UUID.randomUUID()).toAbsolutePath();
    // a fast scheduler: plans run their first daily report within a second (the tests with later
    // times run the daily reports themselves, after every plan's real-time run)
    CoordinatorConfig config = new CoordinatorConfig("127.0.0.1", 0, data, url, "us-east-1", "000000000000", 1,
        1024 * 1024, Duration.ofMillis(300));
    coordinator = await(Coordinator.start(env.vertx, config, Map.of("VAULTGATE_NOTIFY_POLL_MS", "0",
        "VAULTGATE_REPORT_S3_ENDPOINT", TestVaults.s3Server().endpoint().toString(),
        "VAULTGATE_REPORT_S3_ACCESS_KEY_ID", TestVaults.ACCESS_KEY,
        "VAULTGATE_REPORT_S3_SECRET_ACCESS_KEY", TestVaults.SECRET_KEY), Clock.systemUTC()));
    backup = TestCoordinator.client(URI.create("http://127.0.0.1:" + coordinator.port()), coordinator.adminKey());
    s3 = TestVaults.s3Client(TestVaults.SECRET_KEY);
    bucket = TestVaults.newBucket();

    // one backed-up VM that no plan selects, its point kept 7 days
    backup.createBackupVault(r -> r.backupVaultName("audited"));
    String jobId = backup.startBackupJob(r -> r.backupVaultName("audited").resourceArn(VM).iamRoleArn(ROLE)
        .lifecycle(l -> l.deleteAfterDays(7L))).backupJobId();
    await(new PgRecoveryPointStore(coordinator.pool()).completeBackup("000000000000", jobId, 4096L, Map.of(), Instant.now()));
  }

  @AfterAll
  static void stop() {
    backup.close();
    s3.close();
    await(coordinator.close());
  }

  static FrameworkControl control(String name, Map<String, String> params) {
    return FrameworkControl.builder().controlName(name).controlInputParameters(params.entrySet().stream()
        .map(e -> ControlInputParameter.builder().parameterName(e.getKey()).parameterValue(e.getValue()).build())
        .toList()).build();
  }

  static String framework(String name) {
    return backup.createFramework(r -> r.frameworkName(name).frameworkControls(
        control(Controls.PROTECTED_BY_BACKUP_PLAN, Map.of()),
        control(Controls.POINT_MINIMUM_RETENTION, Map.of("requiredRetentionDays", "5")))).frameworkArn();
  }

  static ReportJob awaitJob(String id) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    ReportJob job = backup.describeReportJob(r -> r.reportJobId(id)).reportJob();
    while ("RUNNING".equals(job.status()) && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
      job = backup.describeReportJob(r -> r.reportJobId(id)).reportJob();
    }
    return job;
  }

  static String object(String key) {
    return s3.getObject(r -> r.bucket(bucket).key(key), AsyncResponseTransformer.toBytes()).join()
        .asString(StandardCharsets.UTF_8);
  }

  @Test
  void frameworkIsCreatedDescribedListedUpdatedAndDeleted() {
    String name = unique("fw").replace('-', '_');
    String arn = backup.createFramework(r -> r.frameworkName(name).frameworkDescription("daily checks")
        .frameworkControls(control(Controls.LAST_POINT_CREATED, Map.of("recoveryPointAgeUnit", "hours",
            "recoveryPointAgeValue", "24")))).frameworkArn();
    assertTrue(arn.startsWith("arn:aws:backup:us-east-1:000000000000:framework:" + name + "-"), arn);
    DescribeFrameworkResponse d = backup.describeFramework(r -> r.frameworkName(name));
    assertEquals(arn, d.frameworkArn());
    assertEquals("COMPLETED", d.deploymentStatus());
    assertEquals("ACTIVE", d.frameworkStatus());
    assertEquals("daily checks", d.frameworkDescription());
    assertEquals(Controls.LAST_POINT_CREATED, d.frameworkControls().get(0).controlName());
    assertEquals(2, d.frameworkControls().get(0).controlInputParameters().size());
    assertTrue(backup.listFrameworks(r -> { }).frameworks().stream()
        .anyMatch(f -> f.frameworkName().equals(name) && f.numberOfControls() == 1));
    assertThrows(AlreadyExistsException.class, () -> backup.createFramework(r -> r.frameworkName(name)
        .frameworkControls(control(Controls.POINT_ENCRYPTED, Map.of()))));

    backup.updateFramework(r -> r.frameworkName(name).frameworkControls(control(Controls.POINT_ENCRYPTED, Map.of()),
        control(Controls.PROTECTED_BY_CROSS_REGION, Map.of("crossRegionList", "eu-west-1"))));
    d = backup.describeFramework(r -> r.frameworkName(name));
    assertEquals(2, d.frameworkControls().size());
    assertEquals("daily checks", d.frameworkDescription(), "a description not given is kept");

    backup.deleteFramework(r -> r.frameworkName(name));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeFramework(r -> r.frameworkName(name)));
    assertThrows(ResourceNotFoundException.class, () -> backup.deleteFramework(r -> r.frameworkName(name)));
  }

  @Test
  void unknownControlOrParameterIsAnInvalidParameterValueInOneLine() {
    var e = assertThrows(InvalidParameterValueException.class, () -> backup.createFramework(r -> r
        .frameworkName("bad_control").frameworkControls(control("BACKUP_EVERYTHING_FINE", Map.of()))));
    assertTrue(e.awsErrorDetails().errorMessage().startsWith("Unknown control name BACKUP_EVERYTHING_FINE"),
        e.awsErrorDetails().errorMessage());
    assertFalse(e.awsErrorDetails().errorMessage().contains("\n"));
    e = assertThrows(InvalidParameterValueException.class, () -> backup.createFramework(r -> r
        .frameworkName("bad_param").frameworkControls(control(Controls.POINT_MINIMUM_RETENTION,
            Map.of("requiredRetentionDayz", "35")))));
    assertTrue(e.awsErrorDetails().errorMessage().contains("has no input parameter requiredRetentionDayz"),
        e.awsErrorDetails().errorMessage());
    assertThrows(InvalidParameterValueException.class, () -> backup.createFramework(r -> r
        .frameworkName("bad_value").frameworkControls(control(Controls.POINT_MINIMUM_RETENTION,
            Map.of("requiredRetentionDays", "many")))));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeFramework(r -> r.frameworkName("bad_control")));
  }

  @Test
  void reportPlanToABucketThatDoesNotExistIsRefused() {
    var e = assertThrows(InvalidParameterValueException.class, () -> backup.createReportPlan(r -> r
        .reportPlanName("nowhere").reportSetting(s -> s.reportTemplate("BACKUP_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName("no-such-report-bucket"))));
    assertTrue(e.awsErrorDetails().errorMessage().contains("S3 bucket no-such-report-bucket does not exist"),
        e.awsErrorDetails().errorMessage());
    assertThrows(InvalidParameterValueException.class, () -> backup.createReportPlan(r -> r
        .reportPlanName("unknown_template").reportSetting(s -> s.reportTemplate("EVERYTHING_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket))));
    assertThrows(InvalidParameterValueException.class, () -> backup.createReportPlan(r -> r
        .reportPlanName("no_frameworks").reportSetting(s -> s.reportTemplate("CONTROL_COMPLIANCE_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket))));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeReportPlan(r -> r.reportPlanName("nowhere")));
  }

  @Test
  void controlComplianceReportIsDeliveredAsCsvAndJsonOnDemand() throws Exception {
    String fwArn = framework("controls_fw");
    backup.createReportPlan(r -> r.reportPlanName("controls").reportSetting(s -> s
        .reportTemplate("CONTROL_COMPLIANCE_REPORT").frameworkArns(fwArn))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket).s3KeyPrefix("audit").formats("CSV", "JSON")));
    var plan = backup.describeReportPlan(r -> r.reportPlanName("controls")).reportPlan();
    assertEquals(1, plan.reportSetting().numberOfFrameworks());
    assertEquals(List.of("CSV", "JSON"), plan.reportDeliveryChannel().formats());

    String id = backup.startReportJob(r -> r.reportPlanName("controls")).reportJobId();
    ReportJob job = awaitJob(id);
    assertEquals("COMPLETED", job.status(), job.statusMessage());
    assertEquals(bucket, job.reportDestination().s3BucketName());
    assertEquals(2, job.reportDestination().s3Keys().size());
    String csvKey = job.reportDestination().s3Keys().stream().filter(k -> k.endsWith(".csv")).findFirst().orElseThrow();
    assertTrue(csvKey.startsWith("audit/Backup/000000000000/us-east-1/"), csvKey);
    String csv = object(csvKey);
    assertTrue(csv.startsWith("Report Time Period Start,Report Time Period End,Account Id,Region,Framework Name,"), csv);
    // the VM no plan selects fails the first control; its 7-day point meets the 5-day minimum
    assertTrue(csv.contains(",controls_fw," + fwArn + "," + Controls.PROTECTED_BY_BACKUP_PLAN + ",NON_COMPLIANT,1,1\r\n"), csv);
    assertTrue(csv.contains("," + Controls.POINT_MINIMUM_RETENTION + ",COMPLIANT,1,0\r\n"), csv);
    String jsonKey = job.reportDestination().s3Keys().stream().filter(k -> k.endsWith(".json")).findFirst().orElseThrow();
    var items = new JsonObject(object(jsonKey)).getJsonArray("reportItems");
    assertEquals(2, items.size());
    assertEquals("NON_COMPLIANT", items.getJsonObject(0).getString("Control Compliance Status"));

    assertTrue(backup.describeReportPlan(r -> r.reportPlanName("controls")).reportPlan().lastSuccessfulExecutionTime() != null);
    assertTrue(backup.listReportJobs(r -> r.byReportPlanName("controls")).reportJobs().stream()
        .anyMatch(j -> j.reportJobId().equals(id)));
    var conflict = assertThrows(ConflictException.class, () -> backup.deleteFramework(r -> r.frameworkName("controls_fw")));
    assertTrue(conflict.awsErrorDetails().errorMessage().contains("report plan controls"));
  }

  @Test
  void resourceComplianceAndBackupJobReportsNameTheResource() throws Exception {
    String fwArn = framework("resources_fw");
    backup.createReportPlan(r -> r.reportPlanName("resources").reportSetting(s -> s
        .reportTemplate("RESOURCE_COMPLIANCE_REPORT").frameworkArns(fwArn))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket)));
    ReportJob job = awaitJob(backup.startReportJob(r -> r.reportPlanName("resources")).reportJobId());
    assertEquals("COMPLETED", job.status(), job.statusMessage());
    String csv = object(job.reportDestination().s3Keys().get(0));
    assertTrue(csv.contains("," + Controls.PROTECTED_BY_BACKUP_PLAN + "," + VM + ",VirtualMachine,NON_COMPLIANT,"
        + "no backup plan selects this resource\r\n"), csv);

    backup.createReportPlan(r -> r.reportPlanName("jobs").reportSetting(s -> s.reportTemplate("BACKUP_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket).formats("JSON")));
    job = awaitJob(backup.startReportJob(r -> r.reportPlanName("jobs")).reportJobId());
    assertEquals("COMPLETED", job.status(), job.statusMessage());
    var items = new JsonObject(object(job.reportDestination().s3Keys().get(0))).getJsonArray("reportItems");
    assertTrue(items.stream().map(JsonObject.class::cast).anyMatch(i -> VM.equals(i.getString("Resource Arn"))
        && "COMPLETED".equals(i.getString("Job Status")) && "audited".equals(i.getString("Backup Vault Name"))), items.encode());
  }

  @Test
  void copyAndRestoreJobReportsNameTheirJobs() throws Exception {
    String point = backup.listRecoveryPointsByBackupVault(r -> r.backupVaultName("audited")).recoveryPoints().get(0)
        .recoveryPointArn();
    String copyVault = backup.createBackupVault(r -> r.backupVaultName("audited_copies")).backupVaultArn();
    String copyJob = backup.startCopyJob(r -> r.sourceBackupVaultName("audited").recoveryPointArn(point)
        .destinationBackupVaultArn(copyVault).iamRoleArn(ROLE)).copyJobId();
    String restoreJob = backup.startRestoreJob(r -> r.recoveryPointArn(point).iamRoleArn(ROLE)
        .metadata(Map.of("VMName", "audited-restored"))).restoreJobId();

    backup.createReportPlan(r -> r.reportPlanName("copies").reportSetting(s -> s.reportTemplate("COPY_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket).formats("JSON")));
    ReportJob job = awaitJob(backup.startReportJob(r -> r.reportPlanName("copies")).reportJobId());
    assertEquals("COMPLETED", job.status(), job.statusMessage());
    var copies = new JsonObject(object(job.reportDestination().s3Keys().get(0))).getJsonArray("reportItems");
    assertTrue(copies.stream().map(JsonObject.class::cast).anyMatch(i -> copyJob.equals(i.getString("Copy Job Id"))
        && VM.equals(i.getString("Resource Arn")) && point.equals(i.getString("Source Recovery Point Arn"))
        && copyVault.equals(i.getString("Destination Backup Vault Arn"))), copies.encode());

    backup.createReportPlan(r -> r.reportPlanName("restores").reportSetting(s -> s.reportTemplate("RESTORE_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket).formats("CSV")));
    job = awaitJob(backup.startReportJob(r -> r.reportPlanName("restores")).reportJobId());
    assertEquals("COMPLETED", job.status(), job.statusMessage());
    String csv = object(job.reportDestination().s3Keys().get(0));
    assertTrue(csv.lines().anyMatch(l -> l.contains(restoreJob) && l.contains(point)), csv);
    assertTrue(csv.lines().findFirst().orElse("").contains("Restore Job Id"), "a header row names the columns: " + csv);
  }

  @Test
  void reportJobIntoABucketRemovedSinceFailsWithAClearMessage() throws Exception {
    String gone = TestVaults.newBucket();
    backup.createReportPlan(r -> r.reportPlanName("gone").reportSetting(s -> s.reportTemplate("RESTORE_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(gone)));
    s3.deleteBucket(r -> r.bucket(gone)).join();
    ReportJob job = awaitJob(backup.startReportJob(r -> r.reportPlanName("gone")).reportJobId());
    assertEquals("FAILED", job.status());
    assertEquals("Cannot deliver the report: S3 bucket " + gone + " does not exist at "
        + TestVaults.s3Server().endpoint(), job.statusMessage());
    var plan = backup.describeReportPlan(r -> r.reportPlanName("gone")).reportPlan();
    assertTrue(!plan.lastAttemptedExecutionTime().isBefore(job.creationTime()), "attempted (a daily run may follow)");
    // the daily run may have delivered in the moment before the bucket went; never this job
    assertTrue(plan.lastSuccessfulExecutionTime() == null || plan.lastSuccessfulExecutionTime().isBefore(job.creationTime()));
    assertTrue(backup.listReportJobs(r -> r.byStatus("FAILED")).reportJobs().stream()
        .anyMatch(j -> j.reportJobId().equals(job.reportJobId())));
  }

  @Test
  void reportPlansRunOnceADay() throws Exception {
    backup.createReportPlan(r -> r.reportPlanName("daily").reportSetting(s -> s.reportTemplate("COPY_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket)));
    Instant now = Instant.now().plus(Duration.ofDays(30)); // after every other plan's runs here
    List<AuditRecords.ReportJob> first = await(coordinator.reports().runDue(now));
    assertTrue(first.stream().anyMatch(j -> j.planName().equals("daily")));
    assertTrue(await(coordinator.reports().runDue(now.plus(Duration.ofHours(23)))).stream()
        .noneMatch(j -> j.planName().equals("daily")), "not again within the day");
    assertTrue(await(coordinator.reports().runDue(now.plus(Duration.ofDays(1)))).stream()
        .anyMatch(j -> j.planName().equals("daily")), "again the next day");
    String id = first.stream().filter(j -> j.planName().equals("daily")).findFirst().orElseThrow().reportJobId();
    assertEquals("COMPLETED", awaitJob(id).status());
  }

  @Test
  void theDailyRunStartsByItselfAndIsInTheActivityLogAsTheServiceActing() throws Exception {
    backup.createReportPlan(r -> r.reportPlanName("by_itself").reportSetting(s -> s.reportTemplate("BACKUP_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket)));
    long deadline = System.currentTimeMillis() + 20_000;
    List<ReportJob> jobs = List.of();
    while (jobs.isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      jobs = backup.listReportJobs(r -> r.byReportPlanName("by_itself")).reportJobs();
    }
    assertEquals(1, jobs.size(), "one daily run, not one per scheduler pass");
    assertEquals("COMPLETED", awaitJob(jobs.get(0).reportJobId()).status());
    String sql = "SELECT count(*) FROM activity_log WHERE event_name = 'StartScheduledReportJob'"
        + " AND canonical LIKE '%" + jobs.get(0).reportJobId() + "%'";
    long logged = 0;
    while (logged == 0 && System.currentTimeMillis() < deadline) {
      await(coordinator.activityLog().flush());
      logged = await(coordinator.pool().query(sql).execute()).iterator().next().getLong(0);
      if (logged == 0) Thread.sleep(100);
    }
    assertEquals(1, logged);
  }

  @Test
  void anotherAccountSeesNoneOfThisAccountsFrameworksPlansOrJobs() throws Exception {
    framework("private_fw");
    backup.createReportPlan(r -> r.reportPlanName("private_plan").reportSetting(s -> s.reportTemplate("BACKUP_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket)));
    String job = backup.startReportJob(r -> r.reportPlanName("private_plan")).reportJobId();
    var key = await(coordinator.accessKeys().issue("222233334444"));
    try (BackupClient stranger = TestCoordinator.client(URI.create("http://127.0.0.1:" + coordinator.port()), key)) {
      assertThrows(ResourceNotFoundException.class, () -> stranger.describeFramework(r -> r.frameworkName("private_fw")));
      assertThrows(ResourceNotFoundException.class, () -> stranger.describeReportPlan(r -> r.reportPlanName("private_plan")));
      assertThrows(ResourceNotFoundException.class, () -> stranger.describeReportJob(r -> r.reportJobId(job)));
      assertThrows(ResourceNotFoundException.class, () -> stranger.startReportJob(r -> r.reportPlanName("private_plan")));
      assertEquals(0, stranger.listFrameworks(r -> { }).frameworks().size());
      assertEquals(0, stranger.listReportPlans(r -> { }).reportPlans().size());
      assertEquals(0, stranger.listReportJobs(r -> { }).reportJobs().size());
    }
    awaitJob(job);
  }

  @Test
  void reportPlanIsUpdatedAndDeleted() {
    backup.createReportPlan(r -> r.reportPlanName("changing").reportSetting(s -> s.reportTemplate("BACKUP_JOB_REPORT"))
        .reportDeliveryChannel(c -> c.s3BucketName(bucket)));
    assertThrows(AlreadyExistsException.class, () -> backup.createReportPlan(r -> r.reportPlanName("changing")
        .reportSetting(s -> s.reportTemplate("BACKUP_JOB_REPORT")).reportDeliveryChannel(c -> c.s3BucketName(bucket))));
    backup.updateReportPlan(r -> r.reportPlanName("changing").reportPlanDescription("restores now")
        .reportSetting(s -> s.reportTemplate("RESTORE_JOB_REPORT")));
    var plan = backup.describeReportPlan(r -> r.reportPlanName("changing")).reportPlan();
    assertEquals("RESTORE_JOB_REPORT", plan.reportSetting().reportTemplate());
    assertEquals("restores now", plan.reportPlanDescription());
    assertEquals(bucket, plan.reportDeliveryChannel().s3BucketName());
    assertTrue(backup.listReportPlans(r -> { }).reportPlans().stream().anyMatch(p -> p.reportPlanName().equals("changing")));
    backup.deleteReportPlan(r -> r.reportPlanName("changing"));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeReportPlan(r -> r.reportPlanName("changing")));
    assertThrows(ResourceNotFoundException.class, () -> backup.startReportJob(r -> r.reportPlanName("changing")));
    assertThrows(ResourceNotFoundException.class, () -> backup.describeReportJob(r -> r.reportJobId("no-such-job")));
  }
}
