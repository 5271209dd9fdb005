package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.lifecycle.StorageLifecycle;
import dev.vaultgate.coordinator.lockcheck.LockReconciler;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.DescribeRecoveryPointResponse;
import software.amazon.awssdk.services.backup.model.InvalidParameterValueException;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;
import software.amazon.awssdk.services.backup.model.StorageClass;

/**
 * Recovery point lifecycles carried out in the storage, end to end: the coordinator's AWS Backup API, a gateway that
 * backs VMs up from vcsim into vaults in a Ceph RGW bucket with Object Lock, and the coordinator's storage lifecycle
 * pass ({@link StorageLifecycle}), which works from the points' reference lists without the vaults' keys.
 */
@RequiresRgw
@Timeout(300)
class GatewayStorageLifecycleTest {
  @TempDir
  static Path dir;
  private static GatewayTestbed bed;
  private static String bucket;
  private static AccessKey account;
  private static BackupClient backup;
  private static GatewayAgent agent;
  private static String role;

  @BeforeAll
  static void start() throws IOException {
    bucket = TestRgw.newBucket(true);
    bed = GatewayTestbed.start(dir, "s3://" + bucket + "/vaults?endpoint=" + TestRgw.endpoint() + "&region=us-east-1", "--vms", "2");
    account = bed.newAccount();
    backup = bed.backupApi(account);
    role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    GatewayConfig config = bed.config(account, 2, true).withS3Credentials(
        StaticCredentialsProvider.create(AwsBasicCredentials.create(TestRgw.accessKey(), TestRgw.secretKey())));
    agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
  }

  @AfterAll
  static void stop() {
    if (agent != null) {
      await(bed.vc.vertx, agent::close);
    }
    if (bed != null) {
      bed.close();
    }
  }

  /** Opens vault storage as the coordinator does, with the RGW's keys. */
  private static final Function<String, VaultStorage> OPEN = url -> {
    VaultLocation.S3Location at = (VaultLocation.S3Location) VaultLocation.parse(url);
    return new RetryingVaultStorage(bed.vc.vertx, new S3VaultStorage(bed.vc.vertx, TestRgw.client(), at.bucket(), at.prefix()));
  };

  private static StorageLifecycle lifecycle() {
    return new StorageLifecycle(bed.coordinator.pool(), bed.vaults(OPEN), bed.coordinator.activityLog());
  }

  /** The activity log's records of the service event {@code name} (after the log wrote what was queued). */
  private static List<String> activity(String name) {
    await(bed.coordinatorVertx, () -> bed.coordinator.activityLog().flush());
    return await(bed.coordinatorVertx, () -> bed.coordinator.pool()
        .preparedQuery("SELECT canonical FROM activity_log WHERE event_name = $1 ORDER BY seq")
        .execute(io.vertx.sqlclient.Tuple.of(name))
        .map(rows -> {
          List<String> out = new java.util.ArrayList<>();
          rows.forEach(r -> out.add(r.getString(0)));
          return out;
        }));
  }

  /** A vault's storage as the coordinator reads it (retried: RGW closes a kept-alive connection now and then). */
  private static VaultStorage vault(String name) {
    return new RetryingVaultStorage(bed.vc.vertx,
        new S3VaultStorage(bed.vc.vertx, TestRgw.client(), bucket, "vaults/" + account.accountId() + "/" + name));
  }

  private static String backUp(String vaultName, String vm, long seed, java.util.function.Consumer<software.amazon.awssdk.services.backup.model.Lifecycle.Builder> lifecycle) {
    TestDisks.writeRandomBlocks(bed.flatFile(vm), seed, 0, 7, 60, 200);
    String vmArn = VmResources.arn(GatewayTestbed.REGION, account.accountId(), bed.vm(vm));
    String id = backup.startBackupJob(r -> r.backupVaultName(vaultName).iamRoleArn(role).resourceArn(vmArn)
        .lifecycle(lifecycle)).backupJobId();
    waitFor("backup " + id, Duration.ofSeconds(120), () -> Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED)
        .contains(backup.describeBackupJob(r -> r.backupJobId(id)).state()));
    var done = backup.describeBackupJob(r -> r.backupJobId(id));
    assertEquals(BackupJobState.COMPLETED, done.state(), done.statusMessage());
    return done.recoveryPointArn();
  }

  @Test
  void aLegalHoldHoldsEveryObjectOfItsPointsInStorageUntilItIsCancelled() {
    backup.createBackupVault(r -> r.backupVaultName("locked-held"));
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName("locked-held").minRetentionDays(1L).maxRetentionDays(60L));
    String held = backUp("locked-held", "DC0_H0_VM0", 71, l -> l.deleteAfterDays(2L));
    String free = backUp("locked-held", "DC0_H0_VM1", 72, l -> l.deleteAfterDays(2L));
    String heldVm = backup.describeRecoveryPoint(r -> r.backupVaultName("locked-held").recoveryPointArn(held)).resourceArn();
    String hold = backup.createLegalHold(r -> r.title("case 7").description("litigation")
        .recoveryPointSelection(s -> s.vaultNames("locked-held").resourceIdentifiers(heldVm))).legalHoldId();

    assertEquals(0, await(bed.coordinatorVertx, () -> lifecycle().run(Instant.now())).failures());
    Set<String> heldObjects = objectsOf("locked-held", held);
    Set<String> freeObjects = objectsOf("locked-held", free);
    try (VaultStorage vault = vault("locked-held")) {
      for (String key : heldObjects) {
        assertTrue(await(bed.vc.vertx, () -> vault.lockState(key)).legalHold(), key + " of the held point is on legal hold");
      }
      for (String key : freeObjects) {
        if (!heldObjects.contains(key)) {
          assertFalse(await(bed.vc.vertx, () -> vault.lockState(key)).legalHold(), key + " only the other point needs");
        }
      }
    }
    assertTrue(activity("ApplyLegalHoldsInStorage").stream().anyMatch(e -> e.contains(held)), "in the activity log");
    assertEquals(0, await(bed.coordinatorVertx, () -> lifecycle().run(Instant.now())).failures(), "a second pass changes nothing");

    // The lock check compares the holds too: one pack's hold lifted behind the coordinator's back is a finding.
    LockReconciler check = new LockReconciler(bed.coordinator.pool(), bed.vaults(OPEN));
    await(bed.coordinatorVertx, () -> check.run(Instant.now()));
    assertNull(statusOf("locked-held", held), "held as the database says");
    String pack = heldObjects.stream().filter(k -> k.startsWith(ObjectKeys.PACKS) && !freeObjects.contains(k)).findFirst()
        .orElseGet(() -> heldObjects.stream().filter(k -> k.startsWith(ObjectKeys.PACKS)).findFirst().orElseThrow());
    try (VaultStorage vault = vault("locked-held")) {
      await(bed.vc.vertx, () -> vault.setLegalHold(pack, false));
    }
    assertTrue(await(bed.coordinatorVertx, () -> check.run(Instant.now())) >= 1);
    assertEquals("Vault lock check: " + pack + " has no S3 legal hold, but the database says a legal hold holds the point",
        statusOf("locked-held", held), "exactly the lifted pack");
    try (VaultStorage vault = vault("locked-held")) {
      await(bed.vc.vertx, () -> vault.setLegalHold(pack, true));
    }
    await(bed.coordinatorVertx, () -> check.run(Instant.now()));
    assertNull(statusOf("locked-held", held), "the finding's message goes once the hold is back");

    backup.cancelLegalHold(r -> r.legalHoldId(hold).cancelDescription("case closed"));
    assertEquals(0, await(bed.coordinatorVertx, () -> lifecycle().run(Instant.now())).failures());
    try (VaultStorage vault = vault("locked-held")) {
      for (String key : heldObjects) {
        assertFalse(await(bed.vc.vertx, () -> vault.lockState(key)).legalHold(), key + " is released with the hold");
      }
    }
  }

  private static String statusOf(String vaultName, String recoveryPointArn) {
    return backup.describeRecoveryPoint(r -> r.backupVaultName(vaultName).recoveryPointArn(recoveryPointArn)).statusMessage();
  }

  /** Every object a recovery point needs in storage: manifests, reference lists and what those name. */
  private static Set<String> objectsOf(String vaultName, String recoveryPointArn) {
    java.util.Map<String, String> meta = backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName(vaultName)
        .recoveryPointArn(recoveryPointArn)).restoreMetadata();
    Set<String> out = new java.util.TreeSet<>();
    try (VaultStorage vault = vault(vaultName)) {
      for (String id : meta.get("vaultgate:pointIds").split(",")) {
        out.add(ObjectKeys.point(id.trim()));
        out.add(ObjectKeys.refs(id.trim()));
        out.addAll(await(bed.vc.vertx, () -> dev.vaultgate.vault.lifecycle.KeylessLifecycle.readReferences(vault, id.trim())).objects());
      }
    }
    assertTrue(out.stream().anyMatch(k -> k.startsWith(ObjectKeys.PACKS)), out.toString());
    return out;
  }

  @Test
  void aLifecycleLengthenedAfterTheBackupExtendsTheStorageRetentionOfEverythingThePointReferences() {
    backup.createBackupVault(r -> r.backupVaultName("locked-lengthened"));
    backup.putBackupVaultLockConfiguration(r -> r.backupVaultName("locked-lengthened").minRetentionDays(1L).maxRetentionDays(60L));
    Instant before = Instant.now();
    String point = backUp("locked-lengthened", "DC0_H0_VM0", 61, l -> l.deleteAfterDays(7L));

    backup.updateRecoveryPointLifecycle(r -> r.backupVaultName("locked-lengthened").recoveryPointArn(point)
        .lifecycle(l -> l.deleteAfterDays(30L)));
    LockReconciler check = new LockReconciler(bed.coordinator.pool(), bed.vaults(OPEN));
    int shortObjects = await(bed.coordinatorVertx, () -> check.run(Instant.now()));
    assertTrue(shortObjects >= 5,
        "until the storage lifecycle ran, the manifest, its list, config, packs and segments are 23 days short: " + shortObjects);

    StorageLifecycle.Result result = await(bed.coordinatorVertx, () -> lifecycle().run(Instant.now()));
    assertEquals(1, result.retentionsExtended(), result.toString());
    assertTrue(result.objectsExtended() >= 4, "config, packs, index segments, the list and the manifest: " + result);
    assertTrue(activity("ExtendRecoveryPointStorageRetention").stream().anyMatch(e -> e.contains(point)),
        "the extension is in the activity log");

    Instant deleteAt = backup.describeRecoveryPoint(r -> r.backupVaultName("locked-lengthened").recoveryPointArn(point))
        .calculatedLifecycle().deleteAt();
    try (VaultStorage vault = vault("locked-lengthened")) {
      List<ObjectInfo> objects = await(bed.vc.vertx, () -> vault.list(""));
      int checked = 0;
      for (ObjectInfo o : objects) {
        if (o.key().startsWith("locks/")) {
          continue;
        }
        Retention r = await(bed.vc.vertx, () -> vault.lockState(o.key())).retention()
            .orElseThrow(() -> new AssertionError(o.key() + " has no retention"));
        assertFalse(r.retainUntil().isBefore(deleteAt), o.key() + " retained until " + r.retainUntil() + ", point until " + deleteAt);
        assertTrue(r.retainUntil().isAfter(before.plus(Duration.ofDays(29))), o.key() + ": " + r.retainUntil());
        assertEquals(RetentionMode.GOVERNANCE, r.mode(), o.key() + " keeps its mode");
        checked++;
      }
      assertTrue(checked >= 5, "config, a pack, an index segment, a list and a manifest at least: " + objects);
      assertTrue(objects.stream().anyMatch(o -> o.key().startsWith(ObjectKeys.REFS)), objects.toString());
    }
    assertEquals(0, await(bed.coordinatorVertx, () -> check.run(Instant.now())), "storage and database agree again");
    String message = backup.describeRecoveryPoint(r -> r.backupVaultName("locked-lengthened").recoveryPointArn(point))
        .statusMessage();
    assertTrue(message == null || !message.startsWith("Vault lock check"), "the finding is cleared: " + message);

    // A second pass has nothing to do; a shorter lifecycle changes the database only, never the storage.
    assertEquals(0, await(bed.coordinatorVertx, () -> lifecycle().run(Instant.now())).retentionsExtended());
    backup.updateRecoveryPointLifecycle(r -> r.backupVaultName("locked-lengthened").recoveryPointArn(point)
        .lifecycle(l -> l.deleteAfterDays(10L)));
    await(bed.coordinatorVertx, () -> lifecycle().run(Instant.now()));
    try (VaultStorage vault = vault("locked-lengthened")) {
      for (ObjectInfo o : await(bed.vc.vertx, () -> vault.list(ObjectKeys.POINTS))) {
        Retention r = await(bed.vc.vertx, () -> vault.lockState(o.key())).retention().orElseThrow();
        assertFalse(r.retainUntil().isBefore(deleteAt), "never shortened: " + o.key() + " until " + r.retainUntil());
      }
    }
  }

  @Test
  void coldPointsMoveToTheVaultsColdStorageClassAndRestoreFromIt() throws IOException {
    backup.createBackupVault(r -> r.backupVaultName("archive").backupVaultTags(Map.of(StorageLifecycle.COLD_CLASS_TAG, "COLD")));
    String vm = "DC0_H0_VM1";
    String point = backUp("archive", vm, 71, l -> l.moveToColdStorageAfterDays(1L).deleteAfterDays(91L));
    byte[] content = TestDisks.read(bed.flatFile(vm));

    InvalidParameterValueException rule = assertThrows(InvalidParameterValueException.class, () ->
        backup.updateRecoveryPointLifecycle(r -> r.backupVaultName("archive").recoveryPointArn(point)
            .lifecycle(l -> l.moveToColdStorageAfterDays(1L).deleteAfterDays(60L))));
    assertEquals(400, rule.statusCode());
    assertTrue(rule.getMessage().contains("at least 90 days more than MoveToColdStorageAfterDays"), rule.getMessage());

    DescribeRecoveryPointResponse warm = backup.describeRecoveryPoint(r -> r.backupVaultName("archive").recoveryPointArn(point));
    assertEquals(StorageClass.WARM, warm.storageClass());
    Instant coldAt = warm.calculatedLifecycle().moveToColdStorageAt();
    assertNotNull(coldAt);
    assertEquals(warm.creationDate().plus(Duration.ofDays(1)), coldAt);

    // A day and more later: the scheduler marks the point COLD, the storage lifecycle moves its packs.
    await(bed.coordinatorVertx, () -> bed.coordinator.scheduler().tick(coldAt.plus(Duration.ofHours(1))));
    assertEquals(StorageClass.COLD,
        backup.describeRecoveryPoint(r -> r.backupVaultName("archive").recoveryPointArn(point)).storageClass());
    StorageLifecycle.Result moved = await(bed.coordinatorVertx, () -> lifecycle().run(coldAt.plus(Duration.ofHours(1))));
    assertEquals(1, moved.vaultsMovedToCold(), moved.toString());
    assertTrue(moved.packsMovedToCold() > 0, moved.toString());
    try (VaultStorage vault = vault("archive")) {
      Map<String, String> classes = await(bed.vc.vertx, () -> vault.storageClasses(ObjectKeys.PACKS));
      assertFalse(classes.isEmpty());
      classes.forEach((key, storageClass) -> assertEquals("COLD", storageClass, key));
    }
    assertEquals(0, await(bed.coordinatorVertx, () -> lifecycle().run(Instant.now())).vaultsMovedToCold(), "done once");
    assertTrue(activity("MoveRecoveryPointsToColdStorage").stream().anyMatch(e -> e.contains(point) && e.contains("COLD")),
        "the move is in the activity log");

    // The gateway restores from the cold class.
    Path target = Files.createDirectories(dir.resolve("cold-restore"));
    String restoreId = backup.startRestoreJob(r -> r.recoveryPointArn(point).iamRoleArn(role)
        .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString()))).restoreJobId();
    waitFor("restore " + restoreId, Duration.ofSeconds(120), () -> Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED)
        .contains(backup.describeRestoreJob(r -> r.restoreJobId(restoreId)).status()));
    var restore = backup.describeRestoreJob(r -> r.restoreJobId(restoreId));
    assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
    assertArrayEquals(content, TestDisks.read(target.resolve(vm + "-scsi0_0.img")), "restored from cold storage byte for byte");
  }
}
