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
import dev.vaultgate.vault.format.ManifestCodec;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.FileVaultStorage;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
import software.amazon.awssdk.services.backup.model.CopyJobState;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;
import software.amazon.awssdk.services.backup.model.RestoreJobStatus;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Vault keys wrapped through KMS on the gateway's path, every part real: the coordinator (embedded PostgreSQL) serves
 * the Backup API and its own KMS API, a key is made with the SDK's {@code kms} client, a vault is created with
 * CreateBackupVault(EncryptionKeyArn = that key), and a gateway agent with a KMS configured backs the vcsim VM up
 * into it, restores it, and copies it into a vault of another key. The gateway's KMS calls (with a key of their own) are in the coordinator's activity log; a
 * disabled key fails the next backup with one line naming the key and the vault, and writes nothing to the vault; after
 * a rotation of the key the next backup seals under a new data key by itself.
 */
@Timeout(240)
class GatewayKmsTest {
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

  /** The coordinator's KMS as a gateway reaches it, its calls signed with {@code key}. */
  private static GatewayConfig.Kms kmsEndpoint(AccessKey key) {
    return new GatewayConfig.Kms(URI.create("http://127.0.0.1:" + bed.coordinator.port()), GatewayTestbed.REGION,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())));
  }

  /** The account's gateway config with the coordinator's KMS, called with the gateway's own key {@code kmsKey}. */
  private static GatewayConfig configWithKms(AccessKey account, AccessKey kmsKey) throws IOException {
    return bed.config(account, 2, true).withKms(kmsEndpoint(kmsKey));
  }

  private static DescribeBackupJobResponse backUp(BackupClient backup, String vault, String role, String vmArn) {
    String id = backup.startBackupJob(r -> r.backupVaultName(vault).iamRoleArn(role).resourceArn(vmArn)).backupJobId();
    Set<BackupJobState> ended = Set.of(BackupJobState.COMPLETED, BackupJobState.FAILED, BackupJobState.ABORTED, BackupJobState.EXPIRED);
    waitFor("backup job " + id, JOB_TIMEOUT, () -> ended.contains(backup.describeBackupJob(r -> r.backupJobId(id)).state()));
    return backup.describeBackupJob(r -> r.backupJobId(id));
  }

  /** The vault's directory (the coordinator's file vault root): {@code <root>/<account>/<vault>}. */
  private static Path vaultDir(String accountId, String vault) {
    return Path.of(URI.create(bed.vaultLocation)).getParent().getParent().resolve(accountId).resolve(vault);
  }

  /** Every file of the vault, by relative path, with the SHA-256 of its content. */
  private static Map<String, String> contents(Path vaultDir) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(vaultDir)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        out.put(vaultDir.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** The wrapped keys of the vault's config object: their scheme and key id, as the vault wrote them. */
  private static JsonObject wrappedKey(Path vaultDir) {
    FileVaultStorage storage = new FileVaultStorage(bed.vc.vertx, vaultDir);
    byte[] config = await(bed.vc.vertx, () -> storage.get(ObjectKeys.CONFIG));
    var keys = new JsonObject(new String(config, StandardCharsets.UTF_8)).getJsonArray("keys");
    assertEquals(1, keys.size(), keys.encode());
    return keys.getJsonObject(0);
  }

  /**
   * The names of the activity log's events made with {@code accessKeyId}, once {@code last} is among them (the front
   * tells the log of a call just after answering it).
   */
  private static List<String> eventsOf(String accessKeyId, String last) {
    return eventsOf(accessKeyId, last, 1);
  }

  /** {@link #eventsOf(String, String)} once {@code count} events named {@code last} are there. */
  private static List<String> eventsOf(String accessKeyId, String last, long count) {
    List<String> names = new ArrayList<>();
    waitFor(count + " " + last + " in the activity log", Duration.ofSeconds(10), () -> {
      await(bed.coordinatorVertx, () -> bed.coordinator.activityLog().flush());
      names.clear();
      for (Row r : await(bed.coordinatorVertx, () -> bed.coordinator.pool().preparedQuery(
          "SELECT event_source, event_name FROM activity_log WHERE access_key_id = $1 ORDER BY seq").execute(Tuple.of(accessKeyId)))) {
        names.add(r.getString(0) + " " + r.getString(1));
      }
      return names.stream().filter(n -> n.endsWith(" " + last)).count() >= count;
    });
    return List.copyOf(names);
  }

  @Test
  void aVaultMadeWithKmsKeepsOpeningWithKmsAndAGatewayWithoutAKmsSaysSoInOneLine() {
    AccessKey account = bed.newAccount();
    KmsClient kms = kmsClient(account);
    try (kms) {
      String keyArn = kms.createKey(r -> r.description("direct")).keyMetadata().arn();
      VaultAccess withKms = new VaultAccess(bed.vc.vertx, dir.resolve("direct.key"), null, java.util.function.UnaryOperator.identity(),
          kmsEndpoint(account));
      String location = dir.resolve("direct-vault").toUri().toString();
      String vaultId = await(bed.vc.vertx, () -> withKms.open(location, null, keyArn).map(o -> {
        o.close();
        return o.repo().config().vaultId();
      }));
      assertEquals("kms", wrappedKey(dir.resolve("direct-vault")).getString("scheme"));
      assertFalse(Files.exists(dir.resolve("direct.key")), "no master key file is made for a KMS vault");

      // A job that names no key (the vault's key unknown to it) still opens the vault as its config says: with KMS.
      String reopened = await(bed.vc.vertx, () -> withKms.open(location, null, null).map(o -> {
        o.close();
        return o.repo().config().vaultId();
      }));
      assertEquals(vaultId, reopened);

      VaultAccess withoutKms = new VaultAccess(bed.vc.vertx, dir.resolve("direct.key"));
      String line = dev.vaultgate.agent.testing.Await.failure(bed.vc.vertx, () -> withoutKms.open(location, null, keyArn)).getMessage();
      assertEquals("cannot open vault " + location + ": its keys are wrapped by KMS key " + keyArn
          + " and this gateway has no KMS configured (kms: endpoint, region, credentials)", line);
      assertFalse(Files.exists(dir.resolve("direct.key")), "nothing made on the way");
    }
  }

  @Test
  void aVaultCreatedWithAKmsKeyIsWrittenAndRestoredThroughTheKmsAndADisabledKeyFailsTheBackupWritingNothing() throws IOException {
    AccessKey account = bed.newAccount();
    // The gateway's KMS calls are signed with a key of their own: the activity log tells them apart.
    AccessKey gatewayKms = await(bed.coordinatorVertx, () -> bed.coordinator.accessKeys().issue(account.accountId()));
    BackupClient backup = bed.backupApi(account);
    KmsClient kms = kmsClient(account);
    String role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    GatewayConfig config = configWithKms(account, gatewayKms);
    GatewayAgent agent = await(bed.vc.vertx, () -> GatewayAgent.start(bed.vc.vertx, config));
    try {
      String keyArn = kms.createKey(r -> r.description("gateway vault key")).keyMetadata().arn();
      backup.createBackupVault(r -> r.backupVaultName("kms-vault").encryptionKeyArn(keyArn));
      backup.createBackupVault(r -> r.backupVaultName("plain-vault"));
      String vmArn = VmResources.arn(GatewayTestbed.REGION, account.accountId(), bed.vm(VM));
      Path flat = bed.flatFile(VM);
      TestDisks.writeRandomBlocks(flat, 91, 0, 3, 40, 41, 90);
      byte[] backedUp = TestDisks.read(flat);

      // 1. The backup creates the vault with keys the KMS makes and wraps under the KMS key (KMS GenerateDataKey).
      DescribeBackupJobResponse first = backUp(backup, "kms-vault", role, vmArn);
      assertEquals(BackupJobState.COMPLETED, first.state(), first.statusMessage());
      Path kmsVault = vaultDir(account.accountId(), "kms-vault");
      JsonObject wrapped = wrappedKey(kmsVault);
      assertEquals("kms", wrapped.getString("scheme"), wrapped.encode());
      assertEquals(keyArn, wrapped.getString("keyId"), wrapped.encode());

      // A vault without a key keeps the gateway's master key, on the same gateway.
      DescribeBackupJobResponse plain = backUp(backup, "plain-vault", role, vmArn);
      assertEquals(BackupJobState.COMPLETED, plain.state(), plain.statusMessage());
      assertEquals("local", wrappedKey(vaultDir(account.accountId(), "plain-vault")).getString("scheme"));

      // 2. The restore opens the vault through the KMS (KMS Decrypt) and gives the disk back byte for byte.
      TestDisks.writeRandomBlocks(flat, 92, 0, 3); // the VM moves on; the restore must give the backed-up bytes
      Path target = Files.createDirectories(dir.resolve("restored"));
      String restoreId = backup.startRestoreJob(r -> r.recoveryPointArn(first.recoveryPointArn()).iamRoleArn(role)
          .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", target.toString()))).restoreJobId();
      waitFor("restore " + restoreId, JOB_TIMEOUT, () -> Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED)
          .contains(backup.describeRestoreJob(r -> r.restoreJobId(restoreId)).status()));
      var restore = backup.describeRestoreJob(r -> r.restoreJobId(restoreId));
      assertEquals(RestoreJobStatus.COMPLETED, restore.status(), restore.statusMessage());
      assertArrayEquals(backedUp, TestDisks.read(target.resolve(VM + "-scsi0_0.img")));

      // 3. The coordinator's activity log holds the gateway's KMS calls: the key checked, the vault key made and
      // wrapped on the first backup, unwrapped on the restore.
      List<String> events = eventsOf(gatewayKms.accessKeyId(), "Decrypt");
      assertTrue(events.stream().allMatch(e -> e.startsWith("kms.")), "only KMS calls are signed with the KMS key: " + events);
      List<String> names = events.stream().map(e -> e.substring(e.indexOf(' ') + 1)).toList();
      assertTrue(names.contains("DescribeKey"), names.toString());
      assertEquals(1, names.stream().filter("GenerateDataKey"::equals).count(), "one vault created, one key made: " + names);
      assertTrue(names.indexOf("GenerateDataKey") < names.lastIndexOf("Decrypt"), names.toString());

      // A copy reads the KMS vault and writes a vault created with another key; it restores byte for byte.
      String copyKey = kms.createKey(r -> r.description("copy vault key")).keyMetadata().arn();
      String copyVaultArn = backup.createBackupVault(r -> r.backupVaultName("kms-copies").encryptionKeyArn(copyKey)).backupVaultArn();
      String copyId = backup.startCopyJob(r -> r.recoveryPointArn(first.recoveryPointArn()).sourceBackupVaultName("kms-vault")
          .destinationBackupVaultArn(copyVaultArn).iamRoleArn(role)).copyJobId();
      waitFor("copy " + copyId, JOB_TIMEOUT, () -> Set.of(CopyJobState.COMPLETED, CopyJobState.FAILED)
          .contains(backup.describeCopyJob(r -> r.copyJobId(copyId)).copyJob().state()));
      var copy = backup.describeCopyJob(r -> r.copyJobId(copyId)).copyJob();
      assertEquals(CopyJobState.COMPLETED, copy.state(), copy.statusMessage());
      JsonObject copyWrapped = wrappedKey(vaultDir(account.accountId(), "kms-copies"));
      assertEquals("kms", copyWrapped.getString("scheme"));
      assertEquals(copyKey, copyWrapped.getString("keyId"));
      Path fromCopy = Files.createDirectories(dir.resolve("restored-from-copy"));
      String copyRestoreId = backup.startRestoreJob(r -> r.recoveryPointArn(copy.destinationRecoveryPointArn()).iamRoleArn(role)
          .metadata(Map.of("RestoreTo", "LocalFile", "TargetDirectory", fromCopy.toString()))).restoreJobId();
      waitFor("restore " + copyRestoreId, JOB_TIMEOUT, () -> Set.of(RestoreJobStatus.COMPLETED, RestoreJobStatus.FAILED)
          .contains(backup.describeRestoreJob(r -> r.restoreJobId(copyRestoreId)).status()));
      var copyRestore = backup.describeRestoreJob(r -> r.restoreJobId(copyRestoreId));
      assertEquals(RestoreJobStatus.COMPLETED, copyRestore.status(), copyRestore.statusMessage());
      assertArrayEquals(backedUp, TestDisks.read(fromCopy.resolve(VM + "-scsi0_0.img")));

      // 4. The key disabled, the next backup fails in one line naming the key and the vault, and writes nothing.
      Map<String, String> before = contents(kmsVault);
      kms.disableKey(r -> r.keyId(keyArn));
      TestDisks.writeRandomBlocks(flat, 93, 5, 6);
      DescribeBackupJobResponse refused = backUp(backup, "kms-vault", role, vmArn);
      assertEquals(BackupJobState.FAILED, refused.state(), refused.statusMessage());
      String line = refused.statusMessage();
      assertFalse(line.contains("\n") || line.contains("\tat "), "one line, no stack trace: " + line);
      assertTrue(line.contains(keyArn), "names the key: " + line);
      assertTrue(line.contains(account.accountId() + "/kms-vault"), "names the vault: " + line);
      assertTrue(line.contains("Disabled"), "says why: " + line);
      assertEquals(before, contents(kmsVault), "nothing written to the vault");

      // 5. Enabled again, the vault opens and takes the backup: nothing was lost.
      kms.enableKey(r -> r.keyId(keyArn));
      DescribeBackupJobResponse again = backUp(backup, "kms-vault", role, vmArn);
      assertEquals(BackupJobState.COMPLETED, again.state(), again.statusMessage());
    } finally {
      await(bed.vc.vertx, agent::close);
      kms.close();
      backup.close();
    }
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

  /** The data-key generation a stored manifest names, from its bytes (null: generation 0). */
  private static String generationOf(Path file) {
    try {
      return ManifestCodec.generationOf(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Issue 7's key rotation: the key is rotated with RotateKeyOnDemand through the SDK's {@code kms} client; the next
   * backup adds a data-key generation by itself (ListKeyRotations, then GenerateDataKey) and its new objects are sealed
   * under it (read from the stored bytes); a backup without a further rotation adds none; the points from before and
   * after the rotation restore byte for byte.
   */
  @Test
  void afterTheKmsKeyRotatesTheNextBackupSealsUnderANewDataKeyAndTheOldPointStillRestores() throws IOException {
    AccessKey account = bed.newAccount();
    AccessKey gatewayKms = await(bed.coordinatorVertx, () -> bed.coordinator.accessKeys().issue(account.accountId()));
    BackupClient backup = bed.backupApi(account);
    KmsClient kms = kmsClient(account);
    String role = "arn:aws:iam::" + account.accountId() + ":role/backup";
    GatewayConfig config = configWithKms(account, gatewayKms);
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
      assertEquals(2, names.stream().filter(n -> n.endsWith(" GenerateDataKey")).count(), "the vault's and the rotation's: " + names);

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
