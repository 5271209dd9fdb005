package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.coordinator.agent.VaultLocations;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.vaultgc.PointStorageDeletion;
import dev.vaultgate.coordinator.vaultgc.VaultGarbageCollection;
import dev.vaultgate.coordinator.vaultgc.VaultGcSettings;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.lifecycle.KeylessLifecycle;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultLock;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.VaultLocation;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.storage.VaultStorages;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.ResourceNotFoundException;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;

/**
 * Deleted recovery points leave vault storage, end to end: the coordinator's AWS Backup API (the real 2.20.0 SDK
 * client), a gateway that backs VMs up from vcsim into file vaults, the coordinator's storage deletion pass (keyless)
 * and its vault gc (the engine's gc, with the gateway's master key, as {@code --vault-master-key} gives it).
 */
@Timeout(300)
class GatewayVaultGcTest {
  @TempDir
  static Path dir;
  private static GatewayTestbed bed;
  private static AccessKey account;
  private static BackupClient backup;
  private static GatewayAgent agent;
  private static GatewayConfig agentConfig;
  private static String role;

  @BeforeAll
  static void start() throws IOException {
    bed = GatewayTestbed.start(dir, null, "--vms", "3");
    account = bed.newAccount();
    backup = bed.backupApi(account);
    role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    agentConfig = bed.config(account, 2, true);
    agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, agentConfig));
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

  private static final Function<String, VaultStorage> OPEN = url -> VaultStorages.open(bed.coordinatorVertx,
      VaultLocation.parse(url));

  private static PointStorageDeletion deletion() {
    return new PointStorageDeletion(bed.coordinator.pool(), bed.vaults(OPEN), bed.coordinator.activityLog(), Duration.ofMinutes(1));
  }

  /** Vault gc as a coordinator started with {@code --vault-master-key <the gateway's key> --vault-gc-interval 1}. */
  private static VaultGarbageCollection gc() {
    return new VaultGarbageCollection(bed.coordinatorVertx, bed.coordinator.pool(), bed.vaults(OPEN), bed.coordinator.activityLog(),
        new VaultGcSettings(agentConfig.masterKeyFile(), Duration.ofMinutes(1)));
  }

  private static String location(String vaultName) {
    return VaultLocations.of(bed.coordinator.config().vaultStorageRoot(), account.accountId(), vaultName);
  }

  private static String backUp(String vaultName, String vm, long seed,
      java.util.function.Consumer<software.amazon.awssdk.services.backup.model.Lifecycle.Builder> lifecycle) {
    // 48 random blocks (3 MiB) of this point's own, so its packs are mostly its own.
    TestDisks.writeRandomBlocks(bed.flatFile(vm), seed, LongStream.range(0, 48).toArray());
    String vmArn = VmResources.arn(GatewayTestbed.REGION, account.accountId(), bed.vm(vm));
    String id = backup.startBackupJob(r -> r.backupVaultName(vaultName).iamRoleArn(role).resourceArn(vmArn)
        .lifecycle(lifecycle)).backupJobId();
    waitFor("backup " + id, Duration.ofSeconds(120), () -> Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED)
        .contains(backup.describeBackupJob(r -> r.backupJobId(id)).state()));
    var done = backup.describeBackupJob(r -> r.backupJobId(id));
    assertEquals(BackupJobState.COMPLETED, done.state(), done.statusMessage());
    return done.recoveryPointArn();
  }

  private static List<String> storageIds(String vaultName, String pointArn) {
    String ids = backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName(vaultName).recoveryPointArn(pointArn))
        .restoreMetadata().get("vaultgate:pointIds");
    List<String> out = new ArrayList<>();
    for (String id : ids.split(",")) out.add(id.trim());
    assertFalse(out.isEmpty());
    return out;
  }

  private static boolean exists(VaultStorage vault, String key) {
    return await(bed.coordinatorVertx, () -> vault.list(key)).stream().anyMatch(o -> o.key().equals(key));
  }

  /** Pack id to size. */
  private static Map<String, Long> packs(VaultStorage vault) {
    Map<String, Long> out = new HashMap<>();
    for (ObjectInfo o : await(bed.coordinatorVertx, () -> vault.list(ObjectKeys.PACKS))) {
      out.put(ObjectKeys.idOf(o.key()), o.size());
    }
    return out;
  }

  private static Set<String> packsOf(VaultStorage vault, List<String> ids) {
    Set<String> out = new HashSet<>();
    for (String id : ids) {
      PointReferences refs = await(bed.coordinatorVertx, () -> KeylessLifecycle.readReferences(vault, id));
      out.addAll(refs.packIds());
    }
    return out;
  }

  /** The events of the activity log named {@code name} (after the log wrote what was queued). */
  private static List<JsonObject> activity(String name) {
    return activity(bed.coordinator, name);
  }

  private static List<JsonObject> activity(dev.vaultgate.coordinator.Coordinator recorder, String name) {
    await(bed.coordinatorVertx, () -> recorder.activityLog().flush());
    return await(bed.coordinatorVertx, () -> bed.coordinator.pool()
        .preparedQuery("SELECT canonical FROM activity_log WHERE event_name = $1 ORDER BY seq")
        .execute(io.vertx.sqlclient.Tuple.of(name))
        .map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          rows.forEach(r -> out.add(new JsonObject(r.getString(0)).getJsonObject("event")));
          return out;
        }));
  }

  private void restoresByteForByte(String point, String vm, byte[] content) throws IOException {
    Path target = Files.createDirectories(dir.resolve("restore-" + java.util.UUID.randomUUID()));
    String restoreId = backup.startRestoreJob(r -> r.recoveryPointArn(point).iamRoleArn(role)
        .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString()))).restoreJobId();
    waitFor("restore " + restoreId, Duration.ofSeconds(120), () -> Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED)
        .contains(backup.describeRestoreJob(r -> r.restoreJobId(restoreId)).status()));
    var restore = backup.describeRestoreJob(r -> r.restoreJobId(restoreId));
    assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
    assertArrayEquals(content, TestDisks.read(target.resolve(vm + "-scsi0_0.img")), "the kept point restores byte for byte");
  }

  /**
   * After the point is gone from the database and its objects are checked: manifests and lists gone after the deletion
   * pass, its own packs gone after gc with bytes freed, the kept point's packs all there, and both recorded.
   */
  private void deletedFromStorageAndCollected(String vaultName, String deleted, List<String> deletedIds,
      List<String> keptIds, Set<String> deletedPacks, Set<String> keptPacksBefore, Instant now) {
    try (VaultStorage vault = OPEN.apply(location(vaultName))) {
      for (String id : deletedIds) {
        assertTrue(exists(vault, ObjectKeys.point(id)), "before the pass the manifest is there");
      }
      PointStorageDeletion.Result result = await(bed.coordinatorVertx, () -> deletion().run(now));
      assertEquals(1, result.pointsDeleted(), result.toString());
      for (String id : deletedIds) {
        assertFalse(exists(vault, ObjectKeys.point(id)), "manifest " + id + " left storage");
        assertFalse(exists(vault, ObjectKeys.refs(id)), "reference list " + id + " left storage");
      }
      for (String id : keptIds) {
        assertTrue(exists(vault, ObjectKeys.point(id)), "the other point's manifest stays");
      }
      assertEquals(0, await(bed.coordinatorVertx, () -> deletion().run(now)).pointsDeleted(), "done once");

      Set<String> onlyDeleted = new HashSet<>(deletedPacks);
      onlyDeleted.removeAll(keptPacksBefore);
      assertFalse(onlyDeleted.isEmpty(), "the deleted point has packs of its own: " + deletedPacks + " / " + keptPacksBefore);
      Map<String, Long> before = packs(vault);
      long bytesBefore = before.values().stream().mapToLong(Long::longValue).sum();
      VaultGarbageCollection.Result gc = await(bed.coordinatorVertx, () -> gc().run(now));
      assertEquals(1, gc.vaultsCollected(), gc.toString());
      assertTrue(gc.bytesFreed() > 0, gc.toString());
      Map<String, Long> after = packs(vault);
      for (String pack : onlyDeleted) {
        assertFalse(after.containsKey(pack), "pack " + pack + " only the deleted point used is gone");
      }
      for (String pack : packsOf(vault, keptIds)) {
        assertTrue(after.containsKey(pack), "pack " + pack + " of the kept point is there");
      }
      long bytesAfter = after.values().stream().mapToLong(Long::longValue).sum();
      assertTrue(bytesAfter < bytesBefore, "bytes freed: " + bytesBefore + " -> " + bytesAfter);
      assertEquals(0, await(bed.coordinatorVertx, () -> gc().run(now.plus(Duration.ofHours(2)))).vaultsCollected(),
          "no gc without new deletions");
    }
    JsonObject deletion = activity("DeleteRecoveryPointFromStorage").stream()
        .filter(e -> e.encode().contains(deleted)).findFirst()
        .orElseThrow(() -> new AssertionError("the deletion is in the activity log"));
    assertEquals("AWSService", deletion.getJsonObject("userIdentity").getString("type"), deletion.encode());
    String vaultArn = backup.describeBackupVault(r -> r.backupVaultName(vaultName)).backupVaultArn();
    JsonObject collected = activity("GarbageCollectBackupVault").stream()
        .filter(e -> e.encode().contains(vaultArn)).findFirst()
        .orElseThrow(() -> new AssertionError("the gc is in the activity log"));
    assertEquals("AWSService", collected.getJsonObject("userIdentity").getString("type"), collected.encode());
    assertTrue(collected.getJsonObject("serviceEventDetails").getLong("bytesFreed") > 0, collected.encode());
  }

  @Test
  void deleteRecoveryPointRemovesItsManifestAndGcFreesThePacksOnlyItUsed() throws IOException {
    backup.createBackupVault(r -> r.backupVaultName("gc-api"));
    String first = backUp("gc-api", "DC0_H0_VM0", 11, l -> { });
    String kept = backUp("gc-api", "DC0_H0_VM1", 12, l -> { });
    byte[] keptContent = TestDisks.read(bed.flatFile("DC0_H0_VM1"));
    List<String> firstIds = storageIds("gc-api", first);
    List<String> keptIds = storageIds("gc-api", kept);
    Set<String> firstPacks;
    Set<String> keptPacks;
    try (VaultStorage vault = OPEN.apply(location("gc-api"))) {
      firstPacks = packsOf(vault, firstIds);
      keptPacks = packsOf(vault, keptIds);
    }

    backup.deleteRecoveryPoint(r -> r.backupVaultName("gc-api").recoveryPointArn(first));
    deletedFromStorageAndCollected("gc-api", first, firstIds, keptIds, firstPacks, keptPacks, Instant.now());
    restoresByteForByte(kept, "DC0_H0_VM1", keptContent);
  }

  @Test
  void deleteAfterDaysExpiryRemovesThePointFromStorageToo() throws IOException {
    backup.createBackupVault(r -> r.backupVaultName("gc-expiry"));
    String expiring = backUp("gc-expiry", "DC0_H0_VM2", 21, l -> l.deleteAfterDays(1L));
    String kept = backUp("gc-expiry", "DC0_H0_VM1", 22, l -> { });
    byte[] keptContent = TestDisks.read(bed.flatFile("DC0_H0_VM1"));
    List<String> expiringIds = storageIds("gc-expiry", expiring);
    List<String> keptIds = storageIds("gc-expiry", kept);
    Set<String> expiringPacks;
    Set<String> keptPacks;
    try (VaultStorage vault = OPEN.apply(location("gc-expiry"))) {
      expiringPacks = packsOf(vault, expiringIds);
      keptPacks = packsOf(vault, keptIds);
    }

    // A day and an hour later, by the scheduler's clock: the lifecycle deletes the point.
    Instant later = Instant.now().plus(Duration.ofDays(1)).plus(Duration.ofHours(1));
    await(bed.coordinatorVertx, () -> bed.coordinator.scheduler().tick(later));
    org.junit.jupiter.api.Assertions.assertThrows(ResourceNotFoundException.class,
        () -> backup.describeRecoveryPoint(r -> r.backupVaultName("gc-expiry").recoveryPointArn(expiring)));
    deletedFromStorageAndCollected("gc-expiry", expiring, expiringIds, keptIds, expiringPacks, keptPacks, later);
    restoresByteForByte(kept, "DC0_H0_VM1", keptContent);
  }

  @Test
  void gcWhileABackupHoldsTheVaultIsSkippedAndRetriedTheNextIntervalWithNothingLost() throws IOException {
    backup.createBackupVault(r -> r.backupVaultName("gc-busy"));
    String first = backUp("gc-busy", "DC0_H0_VM0", 31, l -> { });
    String kept = backUp("gc-busy", "DC0_H0_VM2", 32, l -> { });
    byte[] keptContent = TestDisks.read(bed.flatFile("DC0_H0_VM2"));
    List<String> firstIds = storageIds("gc-busy", first);
    backup.deleteRecoveryPoint(r -> r.backupVaultName("gc-busy").recoveryPointArn(first));
    Instant now = Instant.now();
    assertEquals(1, await(bed.coordinatorVertx, () -> deletion().run(now)).pointsDeleted());

    try (VaultStorage vault = OPEN.apply(location("gc-busy"))) {
      Map<String, Long> before = packs(vault);
      // The shared lock a backup takes on the vault, taken here with the gateway's key as its backup would.
      Repository repo = await(bed.coordinatorVertx, () -> Repository.open(bed.coordinatorVertx, vault,
          LocalKeyWrapper.load(agentConfig.masterKeyFile())));
      VaultLock backupLock = await(bed.coordinatorVertx, () -> VaultLock.shared(repo, "backup"));
      try {
        VaultGarbageCollection.Result busy = await(bed.coordinatorVertx, () -> gc().run(now));
        assertEquals(new VaultGarbageCollection.Result(0, 1, 0, 0, 0), busy, "refused while the backup holds the vault");
        assertEquals(before, packs(vault), "nothing deleted while the backup holds the vault");
      } finally {
        await(bed.coordinatorVertx, backupLock::release);
        repo.close();
      }
      assertEquals(0, await(bed.coordinatorVertx, () -> gc().run(now.plusSeconds(30))).vaultsCollected(),
          "not again within the interval");
      VaultGarbageCollection.Result retried = await(bed.coordinatorVertx, () -> gc().run(now.plus(Duration.ofMinutes(2))));
      assertEquals(1, retried.vaultsCollected(), retried.toString());
      assertTrue(retried.bytesFreed() > 0, retried.toString());
      long bytesBefore = before.values().stream().mapToLong(Long::longValue).sum();
      long bytesAfter = packs(vault).values().stream().mapToLong(Long::longValue).sum();
      assertTrue(bytesAfter < bytesBefore, "the retried gc freed space: " + bytesBefore + " -> " + bytesAfter);
    }
    restoresByteForByte(kept, "DC0_H0_VM2", keptContent);
  }

  @Test
  void aCoordinatorGivenTheVaultMasterKeyDeletesAndCollectsOnItsOwn() throws IOException {
    backup.createBackupVault(r -> r.backupVaultName("gc-replica"));
    String first = backUp("gc-replica", "DC0_H0_VM0", 41, l -> { });
    String kept = backUp("gc-replica", "DC0_H0_VM2", 42, l -> { });
    byte[] keptContent = TestDisks.read(bed.flatFile("DC0_H0_VM2"));
    List<String> firstIds = storageIds("gc-replica", first);
    String vaultArn = backup.describeBackupVault(r -> r.backupVaultName("gc-replica")).backupVaultArn();
    // A replica on the same database as `coordinator --vault-master-key <the gateway's key>` starts it, with its
    // passes every 300 ms and a gc interval of a second.
    dev.vaultgate.coordinator.CoordinatorConfig config = dev.vaultgate.coordinator.CoordinatorConfig
        .forTests(dir.resolve("replica-" + java.util.UUID.randomUUID()))
        .withDatabase(bed.coordinator.embeddedDatabaseUrl().orElseThrow())
        .withStorage(bed.coordinator.config().vaultStorageRoot(), null)
        .withSchedulerInterval(Duration.ofMillis(300))
        .withVaultGc(new VaultGcSettings(agentConfig.masterKeyFile(), Duration.ofSeconds(1)));
    dev.vaultgate.coordinator.Coordinator replica = await(bed.coordinatorVertx, () -> dev.vaultgate.coordinator.Coordinator
        .start(bed.coordinatorVertx, config, Map.of(), java.time.Clock.systemUTC()));
    try (VaultStorage vault = OPEN.apply(location("gc-replica"))) {
      Set<String> onlyFirst = packsOf(vault, firstIds);
      onlyFirst.removeAll(packsOf(vault, storageIds("gc-replica", kept)));
      assertFalse(onlyFirst.isEmpty());
      backup.deleteRecoveryPoint(r -> r.backupVaultName("gc-replica").recoveryPointArn(first));
      waitFor("the manifests to leave storage", Duration.ofSeconds(60),
          () -> firstIds.stream().noneMatch(id -> exists(vault, ObjectKeys.point(id))));
      waitFor("the vault's gc", Duration.ofSeconds(60), () -> activity(replica, "GarbageCollectBackupVault").stream()
          .anyMatch(e -> e.encode().contains(vaultArn)));
      Map<String, Long> after = packs(vault);
      for (String pack : onlyFirst) {
        assertFalse(after.containsKey(pack), "pack " + pack + " only the deleted point used is gone");
      }
      assertTrue(activity(replica, "DeleteRecoveryPointFromStorage").stream().anyMatch(e -> e.encode().contains(first)));
    } finally {
      await(bed.coordinatorVertx, replica::close);
    }
    restoresByteForByte(kept, "DC0_H0_VM2", keptContent);
  }

  @Test
  void storageAnotherLivePointStillNamesStaysAndALocalVolumesPointIdCountsToo() throws IOException {
    backup.createBackupVault(r -> r.backupVaultName("gc-shared"));
    String live = backUp("gc-shared", "DC0_H0_VM1", 51, l -> { });
    byte[] liveContent = TestDisks.read(bed.flatFile("DC0_H0_VM1"));
    List<String> liveIds = storageIds("gc-shared", live);
    // A second point naming the same storage object, as a local volume's point names its one
    // (vaultgate:recoveryPointId): written into the database directly, since no API makes two points share one.
    String other = live.replaceFirst("recovery-point:.*", "recovery-point:" + java.util.UUID.randomUUID());
    await(bed.coordinatorVertx, () -> bed.coordinator.pool().preparedQuery("INSERT INTO recovery_points"
            + " (recovery_point_arn, account_id, vault_name, vault_arn, resource_arn, resource_type, status, created_at,"
            + " restore_metadata) SELECT $2, account_id, vault_name, vault_arn, resource_arn, 'LocalVolume', status,"
            + " created_at, jsonb_build_object('vaultgate:recoveryPointId', $3::text) FROM recovery_points"
            + " WHERE recovery_point_arn = $1")
        .execute(io.vertx.sqlclient.Tuple.of(live, other, liveIds.get(0))));
    backup.deleteRecoveryPoint(r -> r.backupVaultName("gc-shared").recoveryPointArn(other));
    String listed = await(bed.coordinatorVertx, () -> bed.coordinator.pool()
        .preparedQuery("SELECT point_ids FROM recovery_point_storage_deletions WHERE recovery_point_arn = $1")
        .execute(io.vertx.sqlclient.Tuple.of(other))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0)));
    assertEquals(liveIds.get(0), listed, "the local volume's vaultgate:recoveryPointId is listed for deletion");

    Instant now = Instant.now();
    assertEquals(new PointStorageDeletion.Result(0, 0, 0), await(bed.coordinatorVertx, () -> deletion().run(now)));
    try (VaultStorage vault = OPEN.apply(location("gc-shared"))) {
      assertTrue(exists(vault, ObjectKeys.point(liveIds.get(0))), "the live point's manifest stays");
      assertTrue(exists(vault, ObjectKeys.refs(liveIds.get(0))), "the live point's list stays");
    }
    assertEquals(new PointStorageDeletion.Result(0, 0, 0), await(bed.coordinatorVertx, () -> deletion().run(now)),
        "and the deletion is done with");
    restoresByteForByte(live, "DC0_H0_VM1", liveContent);
  }
}
