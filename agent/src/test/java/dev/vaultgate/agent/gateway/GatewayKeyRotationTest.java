package dev.vaultgate.agent.gateway;

import static dev.vaultgate.agent.testing.Await.await;
import static dev.vaultgate.agent.testing.GatewayTestbed.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.GatewayTestbed;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.vault.crypto.VaultKeys;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupJobState;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Issue 7 end to end, every part real: the coordinator (embedded PostgreSQL) serves the Backup API and its KMS, a
 * gateway agent with a KMS configured backs the vcsim VM up into a vault created with an EncryptionKeyArn; the key is
 * rotated with RotateKeyOnDemand through the SDK's {@code kms} client; the next backup adds a data-key generation by
 * itself (ListKeyRotations, then GenerateDataKey) and its new objects are sealed under it (read from the stored
 * bytes); a backup without a further rotation adds none; the point from before the rotation restores byte for byte.
 */
@Timeout(240)
class GatewayKeyRotationTest {
  private static final String VM = "DC0_H0_VM0";
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);

  @TempDir
  static Path dir;
  private static GatewayTestbed bed;

  @BeforeAll
  static void start() throws IOException {
    bed = GatewayTestbed.start(dir, null, "--vms", "1");
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  private static KmsClient kmsClient(AccessKey key) {
    return KmsClient.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + bed.coordinator.port()))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  private static DescribeBackupJobResponse backUp(BackupClient backup, String vault, String role, String vmArn) {
    String id = backup.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn(role).resourceArn(vmArn)).backupJobId();
    Set<BackupJobState> ended = Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED, BackupJobState.ABORTED, BackupJobState.EXPIRED);
    waitFor("backup job " + id, JOB_TIMEOUT, () -> ended.contains(backup.describeBackupJob(r -> r.backupJobId(id)).state()));
    return backup.describeBackupJob(r -> r.backupJobId(id));
  }

  private static Path vaultDir(String accountId, String vault) {
    return Path.of(URI.create(bed.vaultLocation)).getParent().getParent().resolve(accountId).resolve(vault);
  }

  /** The vault's files under {@code prefix} (relative paths). */
  private static Set<String> files(Path vaultDir, String prefix) {
    Path under = vaultDir.resolve(prefix);
    if (!Files.isDirectory(under)) {
      return new TreeSet<>();
    }
    try (Stream<Path> walk = Files.walk(under)) {
      Set<String> out = new TreeSet<>();
      walk.filter(Files::isRegularFile).forEach(p -> out.add(vaultDir.relativize(p).toString()));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The data-key generation a sealed object names, from its bytes (null: generation 0). */
  private static String generationOf(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      return VaultKeys.generationOf(bytes, 0, bytes.length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Names of the activity log's events made with {@code accessKeyId}, once {@code count} of {@code last} are there. */
  private static List<String> eventsOf(String accessKeyId, String last, long count) {
    List<String> names = new ArrayList<>();
    waitFor(count + " " + last + " in the activity log", Duration.ofSeconds(10), () -> {
      await(bed.coordinatorVertx, () -> bed.coordinator.activityLog().flush());
      names.clear();
      for (Row r : await(bed.coordinatorVertx, () -> bed.coordinator.pool().preparedQuery(
          "SELECT event_name FROM activity_log WHERE access_key_id = $1 ORDER BY seq").execute(Tuple.of(accessKeyId)))) {
        names.add(r.getString(0));
      }
      return names.stream().filter(last::equals).count() >= count;
    });
    return List.copyOf(names);
  }

  @Test
  void afterTheKmsKeyRotatesTheNextBackupSealsUnderANewDataKeyAndTheOldPointStillRestores() throws IOException {
    AccessKey account = bed.newAccount();
    AccessKey gatewayKms = await(bed.coordinatorVertx, () -> bed.coordinator.accessKeys().issue(account.accountId()));
    BackupClient backup = bed.backupApi(account);
    KmsClient kms = kmsClient(account);
    String role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    GatewayConfig config = bed.config(account, 2, true).withKms(new GatewayConfig.Kms(
        URI.create("http://127.0.0.1:" + bed.coordinator.port()), GatewayTestbed.REGION,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(gatewayKms.accessKeyId(), gatewayKms.secretAccessKey()))));
    GatewayAgent agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
    try {
      String keyArn = kms.createKey(r -> r.description("rotating vault key")).keyMetadata().arn();
      backup.createBackupVault(r -> r.backupVaultName("rotating").encryptionKeyArn(keyArn));
      String vmArn = VmResources.arn(GatewayTestbed.REGION, account.accountId(), bed.vm(VM));
      Path flat = bed.flatFile(VM);
      TestDisks.writeRandomBlocks(flat, 71, 0, 3, 40, 41, 90);
      byte[] before = TestDisks.read(flat);

      DescribeBackupJobResponse first = backUp(backup, "rotating", role, vmArn);
      assertEquals(BackupJobState.COMPLETED, first.state(), first.statusMessage());
      Path vault = vaultDir(account.accountId(), "rotating");
      assertTrue(files(vault, "keys").isEmpty(), "a new vault has only the config's generation");
      Set<String> pointsBefore = files(vault, "points");
      Set<String> packsBefore = files(vault, "packs");
      // the same backup again, before any rotation: no generation added
      DescribeBackupJobResponse unrotated = backUp(backup, "rotating", role, vmArn);
      assertEquals(BackupJobState.COMPLETED, unrotated.state(), unrotated.statusMessage());
      assertTrue(files(vault, "keys").isEmpty(), "the key has not rotated: " + files(vault, "keys"));
      pointsBefore = files(vault, "points");

      kms.rotateKeyOnDemand(r -> r.keyId(keyArn));
      var rotation = kms.listKeyRotations(r -> r.keyId(keyArn)).rotations().get(0);
      TestDisks.writeRandomBlocks(flat, 72, 5, 6, 60); // new data: new packs
      byte[] after = TestDisks.read(flat);
      DescribeBackupJobResponse second = backUp(backup, "rotating", role, vmArn);
      assertEquals(BackupJobState.COMPLETED, second.state(), second.statusMessage());

      Set<String> keys = files(vault, "keys");
      assertEquals(1, keys.size(), "one generation added: " + keys);
      String generationKey = keys.iterator().next();
      String generation = generationKey.substring("keys/".length());
      JsonObject body = new JsonObject(new JsonObject(Files.readString(vault.resolve(generationKey), StandardCharsets.UTF_8))
          .getString("body"));
      assertEquals("kms", body.getJsonArray("keys").getJsonObject(0).getString("scheme"));
      assertEquals(keyArn, body.getJsonArray("keys").getJsonObject(0).getString("keyId"));
      assertEquals(rotation.rotationDate().toEpochMilli(), body.getLong("kmsRotation"), "the rotation it follows");

      Set<String> newPoints = files(vault, "points");
      newPoints.removeAll(pointsBefore);
      Set<String> newPacks = files(vault, "packs");
      newPacks.removeAll(packsBefore);
      assertFalse(newPoints.isEmpty());
      assertFalse(newPacks.isEmpty());
      for (String p : newPoints) {
        assertEquals(generation, generationOf(vault.resolve(p)), p);
      }
      for (String p : pointsBefore) {
        assertEquals(null, generationOf(vault.resolve(p)), p + " stays as it was written");
      }
      for (String p : newPacks) {
        byte[] pack = Files.readAllBytes(vault.resolve(p));
        // the first blob of the pack starts the file: it names the generation that sealed it
        assertEquals(generation, VaultKeys.generationOf(pack, 0, pack.length), p);
      }

      // no further rotation: the next backup keeps the generation
      DescribeBackupJobResponse third = backUp(backup, "rotating", role, vmArn);
      assertEquals(BackupJobState.COMPLETED, third.state(), third.statusMessage());
      assertEquals(keys, files(vault, "keys"));

      // the gateway asked KMS about rotations before each backup of the existing vault, and made one data key more
      List<String> names = eventsOf(gatewayKms.accessKeyId(), "ListKeyRotations", 3);
      assertEquals(2, names.stream().filter("GenerateDataKey"::equals).count(), "the vault's and the rotation's: " + names);

      // the point from before the rotation restores byte for byte, and so does the one after
      for (var point : List.of(Map.entry(first, before), Map.entry(second, after))) {
        Path target = Files.createDirectories(dir.resolve("restored-" + point.getKey().backupJobId()));
        String restoreId = backup.startRestoreJob(r -> r.recoveryPointArn(point.getKey().recoveryPointArn()).iamRoleArn(role)
            .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString()))).restoreJobId();
        waitFor("restore " + restoreId, JOB_TIMEOUT, () -> Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED)
            .contains(backup.describeRestoreJob(r -> r.restoreJobId(restoreId)).status()));
        var restore = backup.describeRestoreJob(r -> r.restoreJobId(restoreId));
        assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
        assertArrayEquals(point.getValue(), TestDisks.read(target.resolve(VM + "-scsi0_0.img")));
      }
    } finally {
      await(bed.vc.vertx, agent::close);
      kms.close();
      backup.close();
    }
  }
}
