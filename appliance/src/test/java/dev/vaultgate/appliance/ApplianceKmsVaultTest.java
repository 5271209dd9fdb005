package dev.vaultgate.appliance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.config.ApplianceConfigParser;
import dev.vaultgate.appliance.config.PasswordHash;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.storage.FileVaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The appliance's own vault ("Back up now") with its keys wrapped by a KMS key, every part real: the coordinator
 * (embedded PostgreSQL) serves its KMS API, the key is made with the SDK's {@code kms} client, and the appliance,
 * started from a config file with {@code kms} and {@code vault.kmsKeyArn}, creates the vault through that KMS on its
 * first backup, backs a local volume up, restores it byte for byte; once the key is disabled the next backup fails in
 * one line naming the vault, the key and its state, and writes nothing.
 */
@Timeout(240)
class ApplianceKmsVaultTest {
  static final int MIB = 1 << 20;

  @TempDir
  Path dir;
  RealCoordinator coordinator;
  Vertx vertx;
  KmsClient kms;

  @BeforeEach
  void setUp() throws IOException {
    coordinator = new RealCoordinator(dir, "file://" + Files.createDirectories(dir.resolve("vaults")));
    vertx = Vertx.vertx();
    kms = KmsClient.builder().endpointOverride(coordinator.endpoint()).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(coordinator.key.accessKeyId(),
            coordinator.key.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder()).build();
  }

  @AfterEach
  void tearDown() {
    kms.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
    coordinator.close();
  }

  <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(120));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The config an operator writes: the coordinator's KMS API with the account's key, and the vault's KMS key. */
  ApplianceConfig config(Path volume, Path vault, String keyArn) throws IOException {
    Path masterKey = dir.resolve("master.key");
    LocalKeyWrapper.create(masterKey); // the agent's vaults without a KMS key would use it; this vault does not
    JsonObject conf = new JsonObject()
        .put("gatewayName", "kms-gw")
        .put("coordinatorUrl", "https://127.0.0.1:" + freePort()) // never joined: "Back up now" only
        .put("dataDir", dir.resolve("data").toString())
        .put("vault", new JsonObject().put("url", vault.toUri().toString()).put("masterKeyFile", masterKey.toString())
            .put("kmsKeyArn", keyArn))
        .put("kms", new JsonObject().put("endpoint", coordinator.endpoint().toString()).put("region", "us-east-1")
            .put("accessKeyId", coordinator.key.accessKeyId()).put("secretAccessKey", coordinator.key.secretAccessKey()))
        .put("webUi", new JsonObject().put("host", "127.0.0.1").put("port", freePort())
            .put("adminPasswordHash", PasswordHash.create("not used here".toCharArray(), 10_000).encode()))
        .put("maxConcurrentJobs", 2)
        .put("localVolumes", new JsonArray().add(new JsonObject().put("name", "db").put("path", volume.toString())));
    return ApplianceConfigParser.load(Files.writeString(dir.resolve("appliance.conf"), conf.encodePrettily()));
  }

  /** Every file of the vault with the SHA-256 of its content. */
  static Map<String, String> contents(Path vault) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(vault)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        out.put(vault.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  @Test
  void theOwnVaultIsCreatedAndRestoredThroughKmsAndADisabledKeyStopsTheNextBackupWritingNothing() throws Exception {
    byte[] data = new byte[24 * MIB];
    new Random(23).nextBytes(data);
    Path volume = Files.write(dir.resolve("db.img"), data);
    Path vault = dir.resolve("own-vault");
    String keyArn = kms.createKey(r -> r.description("appliance vault key")).keyMetadata().arn();
    ApplianceConfig c = config(volume, vault, keyArn);

    Appliance appliance = await(() -> Appliance.start(vertx, c, Appliance.Options.defaults().withHealthInterval(Duration.ofSeconds(1))));
    try {
      BackupResult first = await(() -> appliance.backupVolume("db"));
      byte[] config = await(() -> new FileVaultStorage(vertx, vault).get(ObjectKeys.CONFIG));
      JsonArray keys = new JsonObject(new String(config, StandardCharsets.UTF_8)).getJsonArray("keys");
      assertEquals(1, keys.size(), keys.encode());
      assertEquals("kms", keys.getJsonObject(0).getString("scheme"), "the vault's keys are wrapped by KMS: " + keys.encode());
      assertTrue(keys.encode().contains(keyArn), "the vault config names the key: " + keys.encode());

      Path restored = dir.resolve("restored.img");
      await(() -> appliance.volumeJobs().compose(j -> j.restore(first.recoveryPointId(), restored, false)));
      assertArrayEquals(data, Files.readAllBytes(restored), "restored byte for byte");

      // a second backup opens the vault again through the KMS; only the changed block is new
      byte[] changed = new byte[MIB];
      new Random(24).nextBytes(changed);
      System.arraycopy(changed, 0, data, 4 * MIB, MIB);
      Files.write(volume, data);
      BackupResult second = await(() -> appliance.backupVolume("db"));
      assertTrue(second.bytesNew() < 4L * MIB, "only the changed block is uploaded again: " + second.bytesNew());

      kms.disableKey(r -> r.keyId(keyArn));
      Map<String, String> before = contents(vault);
      RuntimeException e = assertThrows(RuntimeException.class, () -> await(() -> appliance.backupVolume("db")));
      String line = e.getMessage();
      assertFalse(line.contains("\n"), line);
      assertTrue(line.startsWith("cannot open vault " + c.vault().url() + ": "), "names the vault: " + line);
      assertTrue(line.contains(keyArn), "names the key: " + line);
      assertTrue(line.contains("Disabled"), "says its state: " + line);
      assertEquals(before, contents(vault), "nothing written to the vault");
      JsonObject failed = appliance.jobs().snapshot().getJsonObject(0);
      assertEquals("FAILED", failed.getString("state"), failed.encode());
      assertEquals(line, failed.getString("message"), "the job board shows the same line");
    } finally {
      await(appliance::close);
    }
  }

  @Test
  void afterTheKmsKeyRotatesTheNextBackupUsesANewDataKeyAndBothPointsRestore() throws Exception {
    byte[] data = new byte[8 * MIB];
    new Random(31).nextBytes(data);
    Path volume = Files.write(dir.resolve("db.img"), data);
    Path vault = dir.resolve("rotating-vault");
    String keyArn = kms.createKey(r -> r.description("rotating appliance vault key")).keyMetadata().arn();
    ApplianceConfig c = config(volume, vault, keyArn);

    Appliance appliance = await(() -> Appliance.start(vertx, c, Appliance.Options.defaults().withHealthInterval(Duration.ofSeconds(1))));
    try {
      BackupResult before = await(() -> appliance.backupVolume("db"));
      byte[] dataBefore = data.clone();
      // the kept open for restores is made now, before the rotation
      Path restoredBefore = dir.resolve("before.img");
      await(() -> appliance.volumeJobs().compose(j -> j.restore(before.recoveryPointId(), restoredBefore, false)));
      assertArrayEquals(dataBefore, Files.readAllBytes(restoredBefore));
      assertFalse(Files.exists(vault.resolve("keys")) && Files.list(vault.resolve("keys")).findAny().isPresent(),
          "no rotation yet, no data-key generation");

      kms.rotateKeyOnDemand(r -> r.keyId(keyArn));
      new Random(32).nextBytes(data);
      Files.write(volume, data);
      BackupResult after = await(() -> appliance.backupVolume("db"));
      try (Stream<Path> generations = Files.list(vault.resolve("keys"))) {
        assertEquals(1, generations.count(), "the backup after the rotation added one data-key generation");
      }

      Path restoredAfter = dir.resolve("after.img");
      await(() -> appliance.volumeJobs().compose(j -> j.restore(after.recoveryPointId(), restoredAfter, false)));
      assertArrayEquals(data, Files.readAllBytes(restoredAfter), "the new point, sealed under the new key, restores");
      Path restoredAgain = dir.resolve("before-again.img");
      await(() -> appliance.volumeJobs().compose(j -> j.restore(before.recoveryPointId(), restoredAgain, false)));
      assertArrayEquals(dataBefore, Files.readAllBytes(restoredAgain), "the old point still restores");
    } finally {
      await(appliance::close);
    }
  }
}
