package dev.vaultgate.coordinator.kms;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import dev.vaultgate.vault.cli.VaultgateCli;
import dev.vaultgate.vault.crypto.KmsKeyException;
import dev.vaultgate.vault.crypto.KmsKeyWrapper;
import dev.vaultgate.vault.crypto.WrongMasterKeyException;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;

/**
 * Vaults whose keys are wrapped by a key of the coordinator's KMS API ({@code KmsKeyWrapper} through the SDK's async
 * kms client, and {@code vaultgate vault init --kms-key}): made and opened through it, still opened after the key
 * rotates; a disabled, unknown or deleted key fails with one line before anything is written; the wrapped key is
 * bound to its encryption context.
 */
class KmsVaultTest {

  static TestCoordinator env;
  static AccessKey account;
  static KmsClient kms;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    account = env.newAccount();
    kms = env.kmsClient(account);
  }

  static KmsAsyncClient asyncClient() {
    return KmsKeyWrapper.client(env.endpoint(), "us-east-1",
        StaticCredentialsProvider.create(AwsBasicCredentials.create(account.accessKeyId(), account.secretAccessKey())));
  }

  static String newKeyWithAlias() {
    String keyId = kms.createKey(b -> b.description("vault")).keyMetadata().keyId();
    String alias = "alias/" + TestCoordinator.unique("vault");
    kms.createAlias(b -> b.aliasName(alias).targetKeyId(keyId));
    return alias;
  }

  VaultStorage storage() {
    return new FileVaultStorage(env.vertx, dir);
  }

  String init(String keyRef) {
    try (KmsKeyWrapper wrapper = KmsKeyWrapper.forKey(asyncClient(), true, keyRef, "coordinator")) {
      Repository repo = await(Repository.init(env.vertx, storage(), wrapper, new VaultSettings(65536, 1 << 20)));
      repo.close();
      return repo.config().vaultId();
    }
  }

  String open() {
    try (KmsKeyWrapper wrapper = KmsKeyWrapper.forOpening(asyncClient(), true, "coordinator")) {
      Repository repo = await(Repository.open(env.vertx, storage(), wrapper));
      repo.close();
      return repo.config().vaultId();
    }
  }

  JsonObject wrappedKey() throws IOException {
    JsonObject config = new JsonObject(Files.readString(dir.resolve("config")));
    return config.getJsonArray("keys").getJsonObject(0);
  }

  long objectsIn(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void vaultMadeWithKmsKeyOpensThroughTheKmsAndRecordsTheKeyArn() throws IOException {
    String alias = newKeyWithAlias();
    String arn = kms.describeKey(b -> b.keyId(alias)).keyMetadata().arn();
    String id = init(alias);
    assertEquals("kms", wrappedKey().getString("scheme"));
    assertEquals(arn, wrappedKey().getString("keyId"));
    assertEquals(id, open());
  }

  @Test
  void afterRotationTheVaultStillOpensAndNewWrapsUseTheNewMaterial() throws IOException {
    String alias = newKeyWithAlias();
    String id = init(alias);
    kms.rotateKeyOnDemand(b -> b.keyId(alias));
    assertEquals(id, open());
    assertEquals(1, ByteBuffer.wrap(Base64.getDecoder().decode(wrappedKey().getString("wrapped"))).getInt(20));
    try (KmsKeyWrapper wrapper = KmsKeyWrapper.forKey(asyncClient(), true, alias, "coordinator")) {
      assertEquals(2, ByteBuffer.wrap(wrapper.wrap(new byte[64])).getInt(20));
    }
  }

  @Test
  void disabledKeyFailsInitWithOneLineAndWritesNothing() throws IOException {
    String alias = newKeyWithAlias();
    kms.disableKey(b -> b.keyId(alias));
    KmsKeyException e = assertThrows(KmsKeyException.class, () -> init(alias));
    assertTrue(e.getMessage().contains("Disabled"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertEquals(0, objectsIn(dir));
  }

  @Test
  void keyDisabledAfterTheCheckStillWritesNothing() throws IOException {
    String alias = newKeyWithAlias();
    try (KmsKeyWrapper wrapper = KmsKeyWrapper.forKey(asyncClient(), true, alias, "coordinator")) {
      kms.disableKey(b -> b.keyId(alias));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> await(Repository.init(env.vertx, storage(), wrapper, new VaultSettings(65536, 1 << 20))));
      assertTrue(e.getCause() instanceof KmsKeyException, String.valueOf(e.getCause()));
      assertTrue(e.getCause().getMessage().contains("DisabledException"), e.getCause().getMessage());
    }
    assertEquals(0, objectsIn(dir));
  }

  @Test
  void disabledOrDeletionPendingKeyFailsOpenWithItsReason() {
    String alias = newKeyWithAlias();
    init(alias);
    kms.disableKey(b -> b.keyId(alias));
    IllegalStateException disabled = assertThrows(IllegalStateException.class, this::open);
    assertTrue(disabled.getCause().getMessage().contains("DisabledException"), disabled.getCause().getMessage());
    kms.scheduleKeyDeletion(b -> b.keyId(alias).pendingWindowInDays(7));
    IllegalStateException pending = assertThrows(IllegalStateException.class, this::open);
    assertTrue(pending.getCause() instanceof KmsKeyException);
    assertTrue(pending.getCause().getMessage().contains("KMSInvalidStateException"), pending.getCause().getMessage());
    KmsKeyException atInit = assertThrows(KmsKeyException.class,
        () -> KmsKeyWrapper.forKey(asyncClient(), true, alias, "coordinator"));
    assertTrue(atInit.getMessage().contains("PendingDeletion"), atInit.getMessage());
  }

  @Test
  void unknownKeyIsNamedInTheError() {
    KmsKeyException e = assertThrows(KmsKeyException.class,
        () -> KmsKeyWrapper.forKey(asyncClient(), true, "alias/no-such-key", "coordinator"));
    assertTrue(e.getMessage().contains("alias/no-such-key") && e.getMessage().contains("NotFoundException"), e.getMessage());
  }

  @Test
  void wrappedKeyIsBoundToItsEncryptionContext() throws IOException {
    init(newKeyWithAlias());
    SdkBytes blob = SdkBytes.fromByteArray(Base64.getDecoder().decode(wrappedKey().getString("wrapped")));
    assertThrows(InvalidCiphertextException.class, () -> kms.decrypt(b -> b.ciphertextBlob(blob)
        .encryptionContext(Map.of(KmsKeyWrapper.CONTEXT_KEY, "something else"))));
    assertEquals(64, kms.decrypt(b -> b.ciphertextBlob(blob)
        .encryptionContext(Map.of(KmsKeyWrapper.CONTEXT_KEY, KmsKeyWrapper.CONTEXT_VALUE))).plaintext().asByteArray().length);
  }

  @Test
  void vaultOfAnotherAccountsKeyDoesNotOpen() {
    init(newKeyWithAlias());
    AccessKey stranger = env.newAccount();
    try (KmsKeyWrapper wrapper = KmsKeyWrapper.forOpening(KmsKeyWrapper.client(env.endpoint(), "us-east-1",
        StaticCredentialsProvider.create(AwsBasicCredentials.create(stranger.accessKeyId(), stranger.secretAccessKey()))),
        true, "coordinator")) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> await(Repository.open(env.vertx, storage(), wrapper)));
      assertTrue(e.getCause() instanceof WrongMasterKeyException, String.valueOf(e.getCause()));
    }
  }

  /**
   * The command line, in-process; credentials from the SDK's default chain (its system properties): init with a KMS
   * key, back up and restore a disk through it, and one-line refusals for a KMS that is down and a disabled key.
   */
  @Test
  void cliBacksUpAndRestoresWithKmsKeyAndRefusesADisabledOne() throws IOException {
    String alias = newKeyWithAlias();
    System.setProperty("aws.accessKeyId", account.accessKeyId());
    System.setProperty("aws.secretAccessKey", account.secretAccessKey());
    try {
      String vault = "file://" + Files.createDirectories(dir.resolve("v"));
      String endpoint = env.endpoint().toString();
      Run made = cli("vault", "init", "--vault", vault, "--kms-key", alias, "--kms-endpoint", endpoint, "--json");
      assertEquals(0, made.code, made.err);
      assertTrue(made.out.contains("\"kmsKey\":\"arn:aws:kms:us-east-1:" + account.accountId()), made.out);
      byte[] disk = new byte[3 << 20];
      new java.util.Random(7).nextBytes(disk);
      java.util.Arrays.fill(disk, 1 << 20, 2 << 20, (byte) 0);
      Path source = Files.write(dir.resolve("disk.img"), disk);
      Run backup = cli("backup", "--vault", vault, "--source", source.toString(), "--kms-endpoint", endpoint);
      assertEquals(0, backup.code, backup.err);
      Path restored = dir.resolve("restored.img");
      Run restore = cli("restore", "--vault", vault, "--recovery-point", "latest", "--target", restored.toString(),
          "--kms-endpoint", endpoint);
      assertEquals(0, restore.code, restore.err);
      assertEquals(-1L, Files.mismatch(source, restored));
      Run points = cli("points", "--vault", vault, "--kms-endpoint", endpoint);
      assertEquals(0, points.code, points.err);
      Run unreachable = cli("points", "--vault", vault, "--kms-endpoint", "http://127.0.0.1:1");
      assertEquals(1, unreachable.code);
      assertEquals(1, unreachable.err.strip().lines().count(), unreachable.err);
      assertTrue(unreachable.err.contains("cannot unwrap the vault's keys with KMS key"), unreachable.err);
      kms.disableKey(b -> b.keyId(alias));
      Path second = Files.createDirectories(dir.resolve("w"));
      Run refused = cli("vault", "init", "--vault", "file://" + second, "--kms-key", alias, "--kms-endpoint", endpoint);
      assertEquals(1, refused.code);
      assertEquals(1, refused.err.strip().lines().count(), refused.err);
      assertTrue(refused.err.contains("Disabled"), refused.err);
      assertEquals(0, objectsIn(second));
      Run closed = cli("points", "--vault", vault, "--kms-endpoint", endpoint);
      assertEquals(1, closed.code);
      assertTrue(closed.err.contains("DisabledException"), closed.err);
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }
  }

  /**
   * {@code vault rekey} of a KMS vault through the CLI after RotateKeyOnDemand: the new generation is made by KMS
   * (GenerateDataKey under the newest material, a blob of material version 2) and wrapped by the vault's key; the
   * next backup is sealed with it; both points restore; {@code vault keys} lists both generations.
   */
  @Test
  void cliRekeysAKmsVaultAfterItsKeyRotatedAndBothPointsRestore() throws IOException {
    String alias = newKeyWithAlias();
    System.setProperty("aws.accessKeyId", account.accessKeyId());
    System.setProperty("aws.secretAccessKey", account.secretAccessKey());
    try {
      Path vaultDir = Files.createDirectories(dir.resolve("v"));
      String vault = "file://" + vaultDir;
      String endpoint = env.endpoint().toString();
      assertEquals(0, cli("vault", "init", "--vault", vault, "--kms-key", alias, "--kms-endpoint", endpoint).code);
      byte[] disk = new byte[2 << 20];
      new java.util.Random(8).nextBytes(disk);
      Path source = Files.write(dir.resolve("disk.img"), disk);
      Run first = cli("backup", "--vault", vault, "--source", source.toString(), "--kms-endpoint", endpoint, "--json");
      assertEquals(0, first.code, first.err);
      String p0 = new JsonObject(first.out.strip().lines().reduce((a, b) -> b).orElseThrow()).getString("recoveryPointId");

      kms.rotateKeyOnDemand(b -> b.keyId(alias));
      Run rekey = cli("vault", "rekey", "--vault", vault, "--kms-endpoint", endpoint, "--json");
      assertEquals(0, rekey.code, rekey.err);
      JsonObject made = new JsonObject(rekey.out.strip().lines().reduce((a, b) -> b).orElseThrow());
      String keyArn = kms.describeKey(b -> b.keyId(alias)).keyMetadata().arn();
      assertEquals("kms", made.getString("scheme"));
      assertEquals(keyArn, made.getString("keyId"));
      JsonObject body = new JsonObject(new JsonObject(Files.readString(vaultDir.resolve("keys").resolve(made.getString("id"))))
          .getString("body"));
      byte[] blob = Base64.getDecoder().decode(body.getJsonArray("keys").getJsonObject(0).getString("wrapped"));
      assertEquals(2, ByteBuffer.wrap(blob).getInt(20), "wrapped under the key's newest material");

      new java.util.Random(9).nextBytes(disk);
      Files.write(source, disk);
      Run second = cli("backup", "--vault", vault, "--source", source.toString(), "--kms-endpoint", endpoint, "--json");
      assertEquals(0, second.code, second.err);
      String p1 = new JsonObject(second.out.strip().lines().reduce((a, b) -> b).orElseThrow()).getString("recoveryPointId");
      byte[] manifest = Files.readAllBytes(vaultDir.resolve("points").resolve(p1));
      assertEquals(made.getString("id"), dev.vaultgate.vault.format.ManifestCodec.generationOf(manifest));

      Path old = dir.resolve("old.img");
      assertEquals(0, cli("restore", "--vault", vault, "--recovery-point", p0, "--target", old.toString(),
          "--kms-endpoint", endpoint).code);
      byte[] first0 = new byte[2 << 20];
      new java.util.Random(8).nextBytes(first0);
      assertTrue(java.util.Arrays.equals(first0, Files.readAllBytes(old)), "the point from before the rotation");
      Path now = dir.resolve("new.img");
      assertEquals(0, cli("restore", "--vault", vault, "--recovery-point", p1, "--target", now.toString(),
          "--kms-endpoint", endpoint).code);
      assertEquals(-1L, Files.mismatch(source, now));

      Run keys = cli("vault", "keys", "--vault", vault, "--kms-endpoint", endpoint, "--json");
      assertEquals(0, keys.code, keys.err);
      JsonObject listed = new JsonObject(keys.out.strip().lines().reduce((a, b) -> b).orElseThrow());
      assertEquals(2, listed.getJsonArray("generations").size(), listed.encode());
      assertEquals(made.getString("id"), listed.getString("current"));
      // a master key file cannot rekey a KMS vault: one line, nothing written
      Path key = dir.resolve("master.key");
      dev.vaultgate.vault.crypto.LocalKeyWrapper.create(key);
      Run wrongScheme = cli("vault", "rekey", "--vault", vault, "--master-key", key.toString());
      assertEquals(1, wrongScheme.code);
      assertEquals(1, wrongScheme.err.strip().lines().count(), wrongScheme.err);
      assertEquals(1, Files.list(vaultDir.resolve("keys")).count());
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }
  }

  record Run(int code, String out, String err) {}

  static synchronized Run cli(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = VaultgateCli.run(args);
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
