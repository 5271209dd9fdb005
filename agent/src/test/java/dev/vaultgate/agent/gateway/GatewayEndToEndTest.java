package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static dev.vaultgate.agent.testing.TestDisks.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.vsphere.VsphereTags;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.vault.testing.TestVaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJob;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.ConditionType;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;
import software.amazon.awssdk.services.backup.model.DescribeRestoreJobResponse;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.HypervisorState;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The whole product on loopback, driven as an AWS user drives it: the vCenter simulator, the coordinator (embedded
 * PostgreSQL) with its vaults in S3 (an S3 server in the process), a gateway agent that gets its vCenter from the
 * coordinator, and the AWS SDK's {@code backupgateway} and {@code backup} clients. One scenario, step by step.
 */
@Timeout(300)
class GatewayEndToEndTest {
  private static final String VM = "DC0_H0_VM0";

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;
  private static String bucket;

  @BeforeAll
  static void start() throws IOException {
    bucket = TestVaults.newBucket();
    String root = "s3://" + bucket + "/vaults?endpoint=" + TestVaults.s3Server().endpoint() + "&region=us-east-1";
    bed = GatewayTestbed.start(dir, root, "--vms", "1");
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  /** Bytes stored in the vaults' bucket. */
  private static long sum(S3AsyncClient s3) {
    try (s3) {
      long[] total = new long[1];
      s3.listObjectsV2Paginator(r -> r.bucket(bucket)).contents().subscribe((S3Object o) -> total[0] += o.size()).join();
      return total[0];
    }
  }

  private static DescribeBackupJobResponse awaitBackup(BackupClient backup, String id) {
    Set<BackupJobState> ended = Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED, BackupJobState.ABORTED, BackupJobState.EXPIRED);
    waitFor("backup job " + id, Duration.ofSeconds(60), () -> ended.contains(backup.describeBackupJob(r -> r.backupJobId(id)).state()));
    return backup.describeBackupJob(r -> r.backupJobId(id));
  }

  @Test
  void registerTagPlanBackUpIncrementallyRestoreAndTriggerFromVcenter() throws Exception {
    AccessKey account = bed.newAccount();
    BackupGatewayClient gateways = bed.gatewayApi(account);
    BackupClient backup = bed.backupApi(account);
    String role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    GatewayConfig config = bed.config(account, 4, false).withS3Credentials(
        StaticCredentialsProvider.create(AwsBasicCredentials.create(TestVaults.ACCESS_KEY, TestVaults.SECRET_KEY)));
    GatewayAgent agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
    try {
      // 1. The hypervisor, registered and associated through the backup-gateway API, goes ONLINE.
      String hypervisor = gateways.importHypervisorConfiguration(r -> r.name("vcsim").host(bed.vc.vcsim.hostPort())
          .username(bed.vc.vcsim.user()).password(bed.vc.vcsim.password())).hypervisorArn();
      gateways.associateGatewayToServer(r -> r.gatewayArn(agent.gatewayArn()).serverArn(hypervisor));
      waitFor("the hypervisor ONLINE", Duration.ofSeconds(30),
          () -> gateways.getHypervisor(r -> r.hypervisorArn(hypervisor)).hypervisor().state() == HypervisorState.ONLINE);

      // 2. The VM is tagged in vSphere; the tag is mapped to an AWS tag; a metadata sync reports it.
      VmInfo vm = bed.vm(VM);
      VsphereTags tags = bed.vc.client.tags(bed.vc.vertx);
      String category = await(bed.vc.vertx, () -> tags.createCategory("backup-tier", true));
      String gold = await(bed.vc.vertx, () -> tags.createTag(category, "gold"));
      await(bed.vc.vertx, () -> tags.attach(gold, vm.moref()));
      gateways.putHypervisorPropertyMappings(r -> r.hypervisorArn(hypervisor).iamRoleArn(role)
          .vmwareToAwsTagMappings(m -> m.vmwareCategory("backup-tier").vmwareTagName("gold").awsTagKey("backup").awsTagValue("gold")));
      gateways.startVirtualMachinesMetadataSync(r -> r.hypervisorArn(hypervisor));
      String vmArn = agent.vmArn(vm);
      waitFor("the VM with its VMware tag", Duration.ofSeconds(30), () -> gateways.getVirtualMachine(r -> r.resourceArn(vmArn))
          .virtualMachine().vmwareTags().stream().anyMatch(t -> t.vmwareCategory().equals("backup-tier") && t.vmwareTagName().equals("gold")));

      // 3. A plan whose selection picks the tag.
      String vault = "gold-vault";
      backup.createBackupVault(r -> r.backupVaultName(vault));
      String planId = backup.createBackupPlan(r -> r.backupPlan(p -> p.backupPlanName("gold")
          .rules(rule -> rule.ruleName("nightly").targetBackupVaultName(vault).scheduleExpression("cron(0 3 ? * * *)")))).backupPlanId();
      backup.createBackupSelection(r -> r.backupPlanId(planId).backupSelection(s -> s.selectionName("gold-vms").iamRoleArn(role)
          .listOfTags(t -> t.conditionType(ConditionType.STRINGEQUALS).conditionKey("backup").conditionValue("gold"))));

      // 4. A first backup through the AWS API.
      Path flat = bed.flatFile(VM);
      TestDisks.writeRandomBlocks(flat, 71, 0, 1, 2, 3, 100, 101, 200);
      DescribeBackupJobResponse first = awaitBackup(backup,
          backup.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn(role).resourceArn(vmArn)).backupJobId());
      assertEquals(BackupJobState.COMPLETED, first.state(), first.statusMessage());
      assertEquals("COMPLETED", backup.describeRecoveryPoint(r -> r.backupVaultName(vault).recoveryPointArn(first.recoveryPointArn()))
          .statusAsString());

      // 5. Some blocks change; the next backup reads and uploads only them.
      TestDisks.writeRandomBlocks(flat, 72, 2, 150);
      long storedBefore = sum(TestVaults.s3Client(TestVaults.SECRET_KEY));
      DescribeBackupJobResponse second = awaitBackup(backup,
          backup.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn(role).resourceArn(vmArn)).backupJobId());
      assertEquals(BackupJobState.COMPLETED, second.state(), second.statusMessage());
      long uploaded = sum(TestVaults.s3Client(TestVaults.SECRET_KEY)) - storedBefore;
      Map<String, String> meta = backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName(vault)
          .recoveryPointArn(second.recoveryPointArn())).restoreMetadata();
      assertEquals(String.valueOf(2L * BLOCK), meta.get("vaultgate:bytesRead"), "read: the two changed blocks");
      assertTrue(uploaded >= 2L * BLOCK && uploaded < 2L * BLOCK + 64 * 1024,
          "uploaded to S3: the two changed blocks and a little metadata, " + uploaded + " bytes");
      byte[] atSecond = TestDisks.read(flat);
      // Each job opens the vault; the gateway keeps its index segments under its state directory, so a job reads
      // from S3 only the segments written since the last one (both backups' segments are there now).
      try (Stream<Path> copies = Files.walk(config.stateDir().resolve("cache"))) {
        assertTrue(copies.filter(Files::isRegularFile).filter(p -> p.getParent().getFileName().toString().equals("index"))
            .count() >= 2, "index segments of both backups cached by the gateway");
      }

      // 6. Restored as a new VM, byte for byte.
      String restoreId = backup.startRestoreJob(r -> r.recoveryPointArn(second.recoveryPointArn()).iamRoleArn(role)
          .metadata(Map.of("RestoreTo", "VMware", "HypervisorArn", hypervisor, "VMName", "e2e-restored", "PowerOn", "false"))).restoreJobId();
      waitFor("the restore", Duration.ofSeconds(60), () -> Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED)
          .contains(backup.describeRestoreJob(r -> r.restoreJobId(restoreId)).status()));
      DescribeRestoreJobResponse restore = backup.describeRestoreJob(r -> r.restoreJobId(restoreId));
      assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
      assertArrayEquals(atSecond, TestDisks.read(bed.vc.vcsim.datastoreFile("e2e-restored/e2e-restored-flat.vmdk")));

      // 7. A backup asked for in vCenter: the attribute starts a job of the covering plan, is reset, and the outcome is written back.
      TestDisks.writeRandomBlocks(flat, 73, 7);
      await(bed.vc.vertx, () -> bed.vc.client.setCustomAttribute(vm, GatewayConfig.DEFAULT_TRIGGER, "now"));
      waitFor("the triggered job", Duration.ofSeconds(30), () -> backup.listBackupJobs(r -> r.byResourceArn(vmArn)).backupJobs().size() == 3);
      List<BackupJob> jobs = backup.listBackupJobs(r -> r.byResourceArn(vmArn)).backupJobs();
      String triggered = jobs.stream().map(BackupJob::backupJobId)
          .filter(id -> !id.equals(first.backupJobId()) && !id.equals(second.backupJobId())).findFirst().orElseThrow();
      DescribeBackupJobResponse third = awaitBackup(backup, triggered);
      assertEquals(BackupJobState.COMPLETED, third.state(), third.statusMessage());
      assertEquals(vault, third.backupVaultName());
      waitFor("the outcome on the VM", Duration.ofSeconds(20),
          () -> third.recoveryPointArn().equals(bed.vm(VM).customAttributes().get(GatewayAgent.LAST_RECOVERY_POINT)));
      VmInfo after = bed.vm(VM);
      assertEquals("", after.customAttributes().get(GatewayConfig.DEFAULT_TRIGGER), "the trigger is reset");
      assertEquals("COMPLETED", after.customAttributes().get(GatewayAgent.LAST_BACKUP_STATE));
    } finally {
      await(bed.vc.vertx, agent::close);
      gateways.close();
      backup.close();
    }
  }
}
