package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.storage.CachingVaultStorage;
import dev.vaultgate.vault.testing.TestVaults;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user runs it: results on stdout, and every bad input a one-line error with a non-zero exit. */
class VaultgateCliTest {
  private static final int BLOCK = 64 * 1024;

  @TempDir
  Path tmp;
  private String vault;
  private String key;
  private Path source;
  private byte[] image;

  @BeforeEach
  void setUp() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("vault"));
    vault = dir.toUri().toString();
    key = tmp.resolve("master.key").toString();
    image = new byte[40 * BLOCK + 123];
    new Random(1).nextBytes(image);
    for (int i = 0; i < 10 * BLOCK; i++) {
      image[i] = (byte) ("text-like data " + i / 1000).charAt(i % 15);
    }
    source = Files.write(tmp.resolve("disk.img"), image);
  }

  private CliRun vg(String... args) {
    return CliRun.of(args);
  }

  private void init() {
    CliRun r = vg("vault", "init", "--vault", vault, "--master-key", key);
    assertEquals(0, r.exit(), r.toString());
  }

  private String backup() {
    CliRun r = vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json");
    assertEquals(0, r.exit(), r.toString());
    return new JsonObject(r.lastLine()).getString("recoveryPointId");
  }

  private static void assertOneLineError(CliRun r, String expected) {
    assertEquals(1, r.exit(), r.toString());
    String err = r.err().strip();
    assertFalse(err.contains("\n"), "one line only: " + err);
    assertFalse(err.contains("\tat ") || err.contains("Exception in"), "no stack trace: " + err);
    assertTrue(err.contains(expected), "'" + err + "' should say '" + expected + "'");
  }

  @Test
  void initCreatesAMissingVaultDirectoryButNotOverAFile() throws IOException {
    Path nested = tmp.resolve("new/nested/vault");
    vault = nested.toUri().toString();
    init();
    assertTrue(Files.isRegularFile(nested.resolve("config")), "the vault is made in the new directory");
    backup();

    Path file = Files.writeString(tmp.resolve("a-file"), "not a directory");
    assertOneLineError(vg("vault", "init", "--vault", file.resolve("vault").toUri().toString(), "--master-key", key),
        "cannot create vault directory " + file.resolve("vault") + ": Not a directory");
    assertOneLineError(vg("vault", "init", "--vault", file.toUri().toString(), "--master-key", key),
        "cannot create vault directory " + file + ": it is a file");
    assertEquals("not a directory", Files.readString(file), "the file is left as it was");
  }

  @Test
  void onlyTheNamedSubcommandIsBuiltAndHelpOrATypoGetsThemAll() {
    assertEquals(List.of(BackupCommand.class), VaultgateCli.commandsFor("backup", "--vault", "file:///x"));
    assertEquals(List.of(VaultCommands.class), VaultgateCli.commandsFor("vault", "gc"));
    assertEquals(8, VaultgateCli.commandsFor().size());
    assertEquals(8, VaultgateCli.commandsFor("--help").size());
    CliRun typo = vg("bakup", "--vault", vault);
    assertEquals(2, typo.exit());
    assertTrue(typo.err().contains("Did you mean: vaultgate backup"), typo.err());
  }

  @Test
  void backupPrintsJsonWithTheAgreedFieldsAndRestoreIsIdentical() throws IOException {
    init();
    CliRun b = vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json");
    JsonObject json = new JsonObject(b.lastLine());
    for (String field : List.of("recoveryPointId", "bytesRead", "bytesNew", "blocksChanged", "seconds")) {
      assertTrue(json.containsKey(field), field + " in " + json);
    }
    assertEquals(image.length, json.getLong("bytesRead"));
    assertTrue(json.getLong("bytesNew") < image.length, "text compresses: " + json);

    Path target = tmp.resolve("out.img");
    CliRun r = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", json.getString("recoveryPointId"),
        "--target", target.toString(), "--json");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(-1L, Files.mismatch(source, target));

    CliRun points = vg("points", "--vault", vault, "--master-key", key, "--json");
    assertEquals(json.getString("recoveryPointId"),
        new JsonObject(points.lastLine()).getJsonArray("points").getJsonObject(0).getString("recoveryPointId"));
  }

  @Test
  void secondBackupOfTheSameSourceContinuesFromTheFirst() {
    init();
    String first = backup();
    CliRun r = vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json");
    JsonObject json = new JsonObject(r.lastLine());
    assertEquals(first, json.getString("parentId"));
    assertEquals(0, json.getLong("blocksChanged"));
    assertEquals(0, json.getLong("bytesNew"));
  }

  /** What a backup that died after its packs and before their index segments and manifest leaves: packs only. */
  private void dropIndexSegments(boolean andPoints) throws IOException {
    for (String dir : andPoints ? List.of("index", "points") : List.of("index")) {
      try (Stream<Path> files = Files.list(tmp.resolve("vault").resolve(dir))) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
    }
  }

  @Test
  void checkRepairIndexAdoptsPacksWhoseIndexSegmentsAreGone() throws IOException {
    init();
    backup();
    dropIndexSegments(false);
    CliRun broken = vg("vault", "check", "--vault", vault, "--master-key", key);
    assertEquals(1, broken.exit(), broken.toString());
    assertTrue(broken.err().contains("in no index segment"), broken.toString());

    CliRun repaired = vg("vault", "check", "--repair-index", "--read-data", "--vault", vault, "--master-key", key, "--json");
    assertEquals(0, repaired.exit(), repaired.toString());
    assertTrue(new JsonObject(repaired.lastLine()).getJsonArray("warnings").isEmpty(), repaired.toString());

    CliRun again = vg("vault", "repair-index", "--vault", vault, "--master-key", key, "--json");
    assertEquals(0, again.exit(), again.toString());
    JsonObject json = new JsonObject(again.lastLine());
    assertEquals(0, json.getInteger("orphans"), json.encode());
    assertTrue(json.getInteger("packs") > 0, json.encode());
  }

  @Test
  void aDeletedPackIsNamedByCheckForgottenByRepairIndexAndStoredAgainByTheNextBackup() throws IOException {
    init();
    String first = backup();
    Path pack = packs().get(0);
    Files.delete(pack);
    CliRun check = vg("vault", "check", "--vault", vault, "--master-key", key);
    assertEquals(1, check.exit(), check.toString());
    assertTrue(check.err().contains(pack.getFileName() + " is indexed but missing") && check.err().contains("repair-index"),
        check.err());

    CliRun repair = vg("vault", "repair-index", "--vault", vault, "--master-key", key, "--json");
    assertEquals(0, repair.exit(), repair.toString());
    JsonObject json = new JsonObject(repair.lastLine());
    assertEquals(1, json.getJsonArray("packsLost").size(), json.encode());
    assertTrue(json.getLong("chunksLost") > 0, json.encode());
    assertTrue(repair.err().contains("warning: pack packs/") && repair.err().contains("is missing"), repair.err());
    CliRun stillDamaged = vg("vault", "check", "--vault", vault, "--master-key", key);
    assertEquals(1, stillDamaged.exit(), stillDamaged.toString());
    assertTrue(stillDamaged.err().contains("lost with their packs"), stillDamaged.err());

    CliRun healing = vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json");
    assertEquals(0, healing.exit(), healing.toString());
    assertEquals(json.getLong("chunksLost"), new JsonObject(healing.lastLine()).getLong("chunksNew"), healing.toString());
    CliRun healed = vg("vault", "check", "--read-data", "--vault", vault, "--master-key", key);
    assertEquals(0, healed.exit(), healed.toString());
    Path restored = tmp.resolve("restored-first.img");
    CliRun restore = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", first, "--target",
        restored.toString());
    assertEquals(0, restore.exit(), restore.toString());
    assertEquals(-1L, Files.mismatch(source, restored), "the older point is whole again");
  }

  @Test
  void backupWithAdoptOrphansUploadsNothingTheDeadRunStored() throws IOException {
    init();
    backup();
    dropIndexSegments(true);
    CliRun r = vg("backup", "--adopt-orphans", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(0, new JsonObject(r.lastLine()).getLong("bytesNew"), r.toString());
    CliRun check = vg("vault", "check", "--read-data", "--vault", vault, "--master-key", key);
    assertEquals(0, check.exit(), check.toString());
  }

  @Test
  void missingSourceIsNamed() {
    init();
    assertOneLineError(vg("backup", "--vault", vault, "--master-key", key, "--source", tmp.resolve("nope.img").toString()),
        "cannot read source " + tmp.resolve("nope.img"));
  }

  @Test
  void directoryOrCharacterDeviceAsSourceIsRefused() {
    init();
    assertOneLineError(vg("backup", "--vault", vault, "--master-key", key, "--source", tmp.toString()), "is a directory");
    assertOneLineError(vg("backup", "--vault", vault, "--master-key", key, "--source", "/dev/null"),
        "cannot back up /dev/null: it is a character device, not an image file or block device");
  }

  @Test
  void wrongMasterKeyIsNamed() {
    init();
    vg("vault", "init", "--vault", Path.of(tmp.toString(), "other").toUri().toString(), "--master-key", tmp.resolve("other.key").toString());
    assertOneLineError(vg("backup", "--vault", vault, "--master-key", tmp.resolve("other.key").toString(), "--source",
        source.toString()), "wrong master key for vault");
  }

  @Test
  void directoryWithoutAVaultIsNamed() throws IOException {
    Files.createDirectories(tmp.resolve("empty"));
    init();
    assertOneLineError(vg("points", "--vault", tmp.resolve("empty").toUri().toString(), "--master-key", key), "no vault at");
  }

  @Test
  void malformedUrlIsRefused() {
    assertOneLineError(vg("points", "--vault", "ftp://example/x", "--master-key", key), "ftp://example/x");
  }

  @Test
  void missingMasterKeyIsNamed() {
    assertOneLineError(vg("points", "--vault", vault, "--master-key", tmp.resolve("absent.key").toString()),
        "master key " + tmp.resolve("absent.key") + " does not exist");
  }

  @Test
  void lockModeOnADirectoryVaultIsRefusedAndNothingIsCreated() throws IOException {
    assertOneLineError(vg("vault", "init", "--vault", vault, "--master-key", key, "--lock-mode", "COMPLIANCE"),
        "only an S3 bucket with Object Lock enabled can hold a locked vault");
    try (Stream<Path> files = Files.list(tmp.resolve("vault"))) {
      assertEquals(List.of(), files.toList());
    }
  }

  @Test
  void badLockOptionsAreNamed() {
    assertOneLineError(vg("vault", "init", "--vault", vault, "--master-key", key, "--lock-mode", "STRICT"),
        "unknown retention mode 'STRICT': expected GOVERNANCE or COMPLIANCE");
    assertOneLineError(vg("vault", "init", "--vault", vault, "--master-key", key, "--lock-mode", "GOVERNANCE",
        "--min-retention", "a week"), "--min-retention 'a week' is no duration");
    assertOneLineError(vg("vault", "init", "--vault", vault, "--master-key", key, "--lock-mode", "GOVERNANCE",
        "--min-retention", "30d", "--max-retention", "7d"), "is shorter than its minimum");
  }

  @Test
  void retentionOnAnUnlockedVaultIsRefusedBeforeAnythingIsWritten() throws IOException {
    init();
    assertOneLineError(vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--retention", "30d"),
        "the vault is not locked");
    assertFalse(Files.exists(tmp.resolve("vault").resolve("packs")), "no pack was written");
    assertOneLineError(vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(),
        "--retain-until", "next tuesday"), "--retain-until 'next tuesday' is no ISO-8601 instant");
  }

  @Test
  void missingBucketAndRefusedCredentialsAreNamed() {
    String endpoint = TestVaults.s3Server().endpoint().toString();
    String bucket = TestVaults.newBucket();
    try {
      System.setProperty("aws.accessKeyId", TestVaults.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", TestVaults.SECRET_KEY);
      assertOneLineError(vg("vault", "init", "--vault", "s3://no-such-bucket?endpoint=" + endpoint + "&region=us-east-1",
          "--master-key", key), "no-such-bucket");
      assertEquals(0, vg("vault", "init", "--vault", "s3://" + bucket + "/v?endpoint=" + endpoint + "&region=us-east-1",
          "--master-key", key).exit());
      System.setProperty("aws.secretAccessKey", "wrong-secret");
      assertOneLineError(vg("points", "--vault", "s3://" + bucket + "/v?endpoint=" + endpoint + "&region=us-east-1",
          "--master-key", key), "credentials");
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }
  }

  /** The cached copies under {@code root} (any vault's), by file name. */
  private static List<String> cachedSegments(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).map(p -> p.getParent().getFileName() + "/" + p.getFileName()).sorted().toList();
    }
  }

  @Test
  void anS3VaultsIndexSegmentsAreCachedLocallyForEveryCommandAndADamagedCopyIsReadFromTheVaultAgain() throws IOException {
    String endpoint = TestVaults.s3Server().endpoint().toString();
    vault = "s3://" + TestVaults.newBucket() + "/cached?endpoint=" + endpoint + "&region=us-east-1";
    Path cache = tmp.resolve("cache");
    try {
      System.setProperty("aws.accessKeyId", TestVaults.ACCESS_KEY);
      System.setProperty("aws.secretAccessKey", TestVaults.SECRET_KEY);
      init();
      assertEquals(0, vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--cache-dir",
          cache.toString()).exit());
      List<String> first = cachedSegments(cache);
      assertFalse(first.isEmpty(), "the backup's index segments are cached");
      assertTrue(first.stream().allMatch(f -> f.startsWith("index/")), "only index segments: " + first);

      image[5 * BLOCK] ^= 1;
      Files.write(source, image);
      CliRun second = vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--cache-dir",
          cache.toString(), "--json");
      assertEquals(0, second.exit(), second.toString());
      List<String> both = cachedSegments(cache);
      assertTrue(both.containsAll(first) && both.size() > first.size(), "the second backup's segment joins: " + both);

      try (Stream<Path> copies = Files.walk(cache)) {
        for (Path copy : copies.filter(Files::isRegularFile).toList()) {
          byte[] damaged = Files.readAllBytes(copy);
          damaged[damaged.length / 2] ^= 0x40;
          Files.write(copy, damaged);
        }
      }
      Path restored = tmp.resolve("restored.img");
      String point = new JsonObject(second.lastLine()).getString("recoveryPointId");
      CliRun restore = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
          restored.toString(), "--cache-dir", cache.toString());
      assertEquals(0, restore.exit(), restore.toString());
      assertArrayEquals(image, Files.readAllBytes(restored));

      // copy: both vaults' segments are cached, each in its own directory
      String destination = "s3://" + TestVaults.newBucket() + "/copy?endpoint=" + endpoint + "&region=us-east-1";
      assertEquals(0, vg("vault", "init", "--vault", destination, "--master-key", key).exit());
      CliRun copy = vg("copy", "--from", vault, "--to", destination, "--point", point, "--master-key", key,
          "--cache-dir", cache.toString());
      assertEquals(0, copy.exit(), copy.toString());
      try (Stream<Path> vaults = Files.list(cache.resolve("vaults"))) {
        assertEquals(2, vaults.count(), "the source's and the destination's copies, apart");
      }
      Path destinationCopies = CachingVaultStorage.directoryFor(cache, destination).resolve("index");
      try (Stream<Path> copies = Files.list(destinationCopies)) {
        assertTrue(copies.findAny().isPresent(), "the destination's new segments are cached");
      }
      Path copied = tmp.resolve("copied.img");
      assertEquals(0, vg("restore", "--vault", destination, "--master-key", key, "--recovery-point", point, "--target",
          copied.toString(), "--cache-dir", cache.toString()).exit());
      assertArrayEquals(image, Files.readAllBytes(copied));

      Path unused = tmp.resolve("no-cache");
      assertEquals(0, vg("points", "--vault", vault, "--master-key", key, "--cache-dir", unused.toString(), "--no-cache").exit());
      assertEquals(0, vg("vault", "check", "--vault", vault, "--master-key", key, "--cache-dir", unused.toString(), "--no-cache").exit());
      assertFalse(Files.exists(unused), "--no-cache keeps no copies");
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }
    Path fileCache = tmp.resolve("file-cache");
    vault = tmp.resolve("vault").toUri().toString();
    init();
    assertEquals(0, vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--cache-dir",
        fileCache.toString()).exit());
    assertFalse(Files.exists(fileCache), "a file:// vault is on a local disk already: no copies");
  }

  private List<Path> packs() throws IOException {
    try (Stream<Path> s = Files.walk(tmp.resolve("vault").resolve("packs"))) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  /** A point backed up into one pack, and that pack with a bit flipped. */
  private record DamagedPoint(String id, Path pack) {
  }

  private DamagedPoint backupAndFlipABitOfItsPack() throws IOException {
    init();
    String point = backup();
    Path pack = packs().get(0);
    EngineFixture.flipBit(pack, 1000);
    return new DamagedPoint(point, pack);
  }

  @Test
  void flippedBitInAPackIsNamedByRestoreAndByCheck() throws IOException {
    DamagedPoint damaged = backupAndFlipABitOfItsPack();
    String point = damaged.id();
    String packName = damaged.pack().getFileName().toString();

    CliRun restore = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        tmp.resolve("out.img").toString());
    assertOneLineError(restore, packName);
    assertTrue(Files.notExists(tmp.resolve("out.img")));

    CliRun check = vg("vault", "check", "--vault", vault, "--master-key", key, "--read-data");
    assertEquals(1, check.exit(), check.toString());
    assertTrue(check.err().contains(packName) && check.err().contains("damaged"), check.err());
    assertEquals(0, vg("vault", "check", "--vault", vault, "--master-key", key).exit(), "structure alone is intact");
  }

  @Test
  void checkWithRepairIndexForgetsTheDamagedChunkAndTheNextBackupStoresItAgain() throws IOException {
    DamagedPoint damaged = backupAndFlipABitOfItsPack();
    assertTrue(vg("vault", "check", "--vault", vault, "--master-key", key, "--read-data").err()
        .contains("--read-data --repair-index"), "the error says how to heal");

    CliRun repair = vg("vault", "check", "--vault", vault, "--master-key", key, "--read-data", "--repair-index", "--json");
    assertEquals(1, repair.exit(), "the check itself still found the damage: " + repair);
    JsonObject json = new JsonObject(repair.lastLine());
    assertEquals(1, json.getInteger("damagedChunks"), json.encode());
    assertEquals(1, json.getInteger("damagedChunksForgotten"), json.encode());
    assertTrue(repair.err().contains("1 damaged chunk(s) forgotten"), repair.err());

    CliRun backup = vg("backup", "--vault", vault, "--master-key", key, "--source", source.toString(), "--json");
    assertEquals(0, backup.exit(), backup.toString());
    assertEquals(1, new JsonObject(backup.lastLine()).getLong("chunksNew"), backup.toString());
    CliRun healed = vg("vault", "check", "--vault", vault, "--master-key", key, "--read-data");
    assertEquals(0, healed.exit(), healed.toString());
    Path restored = tmp.resolve("restored-damaged.img");
    CliRun restore = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", damaged.id(), "--target",
        restored.toString());
    assertEquals(0, restore.exit(), restore.toString());
    assertEquals(-1L, Files.mismatch(source, restored), "the point that was damaged is whole again");
  }

  /** The image with the ranges a --skip-damaged restore reported (its --json) as zeros. */
  private byte[] imageWithZerosWhere(JsonObject restored) {
    byte[] expected = image.clone();
    for (Object o : restored.getJsonArray("damaged")) {
      JsonObject d = (JsonObject) o;
      java.util.Arrays.fill(expected, (int) (long) d.getLong("offset"), (int) (d.getLong("offset") + d.getLong("length")), (byte) 0);
    }
    return expected;
  }

  @Test
  void aRestoreThatSkipsDamagedChunksRestoresTheRestAndListsWhatItLeftAsZeros() throws IOException {
    DamagedPoint damaged = backupAndFlipABitOfItsPack();
    Path out = tmp.resolve("out.img");
    CliRun restore = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", damaged.id(), "--target",
        out.toString(), "--skip-damaged", "--json");
    assertEquals(RestoreCommand.DAMAGED, restore.exit(), restore.toString());
    JsonObject r = new JsonObject(restore.lastLine());
    long damagedBytes = r.getLong("damagedBytes");
    assertTrue(damagedBytes >= BLOCK && damagedBytes < image.length / 2, "one chunk's blocks, not the disk: " + r);
    assertTrue(restore.err().contains(damaged.pack().getFileName().toString()) && restore.err().contains("read as zeros"),
        restore.err());
    assertArrayEquals(imageWithZerosWhere(r), Files.readAllBytes(out), "every other byte restored");
  }

  @Test
  void aRestoreThatSkipsDamagedChunksLeavesAMissingPacksBlocksAsZeros() throws IOException {
    init();
    String point = backup();
    Files.delete(packs().get(0)); // the only pack: every block of the disk
    Path out = tmp.resolve("out.img");
    CliRun restore = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        out.toString(), "--skip-damaged", "--json");
    assertEquals(RestoreCommand.DAMAGED, restore.exit(), restore.toString());
    JsonObject r = new JsonObject(restore.lastLine());
    assertEquals(image.length, r.getLong("damagedBytes"), r.toString());
    assertEquals(1, r.getJsonArray("damaged").size(), "one range, one cause: " + r);
    assertTrue(r.getJsonArray("damaged").getJsonObject(0).getString("reason").contains("is missing"), r.toString());
    assertArrayEquals(new byte[image.length], Files.readAllBytes(out));
  }

  @Test
  void chunksInNoIndexSegmentFailARestoreOrAreSkippedAsDamaged() throws IOException {
    init();
    String point = backup();
    dropIndexSegments(false);
    Path out = tmp.resolve("out.img");
    assertOneLineError(vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        out.toString()), "is in no index segment");
    assertTrue(Files.notExists(out));
    CliRun skipped = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        out.toString(), "--skip-damaged", "--json");
    assertEquals(RestoreCommand.DAMAGED, skipped.exit(), skipped.toString());
    JsonObject r = new JsonObject(skipped.lastLine());
    assertEquals(image.length, r.getLong("damagedBytes"), r.toString());
    assertTrue(skipped.err().contains("is in no index segment"), skipped.err());
  }

  @Test
  void aMissingPackIsNamedByRestoreAndByCheck() throws IOException {
    init();
    String point = backup();
    Path pack = packs().get(0);
    Files.delete(pack);
    String packName = pack.getFileName().toString();

    CliRun restore = vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        tmp.resolve("out.img").toString());
    assertOneLineError(restore, packName);
    assertTrue(restore.err().contains("recovery point " + point) && restore.err().contains("is missing"), restore.err());
    assertTrue(Files.notExists(tmp.resolve("out.img")));
    assertTrue(Files.notExists(tmp.resolve("out.img.vaultgate-partial")), "nothing that looks like a disk is left");

    CliRun check = vg("vault", "check", "--vault", vault, "--master-key", key);
    assertEquals(1, check.exit(), check.toString());
    assertTrue(check.err().contains(packName), check.err());
    CliRun unlocked = vg("vault", "check", "--vault", vault, "--master-key", key, "--no-lock");
    assertEquals(1, unlocked.exit(), unlocked.toString());
    assertTrue(unlocked.err().contains(packName), unlocked.err());
    assertOneLineError(vg("vault", "check", "--vault", vault, "--master-key", key, "--no-lock", "--repair-index"),
        "not with --no-lock");
  }

  @Test
  void truncatedPackIsNamedByCheck() throws IOException {
    init();
    backup();
    Path pack = packs().get(0);
    try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    CliRun check = vg("vault", "check", "--vault", vault, "--master-key", key);
    assertEquals(1, check.exit(), check.toString());
    assertTrue(check.err().contains(pack.getFileName().toString()) && check.err().contains("truncated"), check.err());
  }

  @Test
  void truncatedManifestIsNamed() throws IOException {
    init();
    String point = backup();
    Path manifest = tmp.resolve("vault").resolve("points").resolve(point);
    byte[] bytes = Files.readAllBytes(manifest);
    Files.write(manifest, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    assertOneLineError(vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        tmp.resolve("out.img").toString()), "recovery point " + point);
  }

  @Test
  void unknownRecoveryPointIsNamed() {
    init();
    assertOneLineError(vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", "0".repeat(32), "--target",
        tmp.resolve("out.img").toString()), "no recovery point " + "0".repeat(32));
    assertOneLineError(vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", "../../etc", "--target",
        tmp.resolve("out.img").toString()), "not a recovery point id");
  }

  @Test
  void targetThatCannotBeWrittenIsNamed() throws IOException {
    init();
    String point = backup();
    assertOneLineError(vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        tmp.resolve("no/such/dir/out.img").toString()), "does not exist");
    assertOneLineError(vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        tmp.toString()), "is a directory");
    assertOneLineError(vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        "/dev/null"), "cannot restore to /dev/null: it is a character device, not a file or block device");
    Files.writeString(tmp.resolve("exists.img"), "keep me");
    assertOneLineError(vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", point, "--target",
        tmp.resolve("exists.img").toString()), "exists");
    assertEquals("keep me", Files.readString(tmp.resolve("exists.img")));
  }

  @Test
  void forgetThenGcFreesWhatOnlyTheForgottenPointUsed() throws IOException {
    init();
    String first = backup();
    byte[] other = new byte[40 * BLOCK];
    new Random(99).nextBytes(other);
    Files.write(source, other);
    String second = backup();
    int packsBefore = packs().size();

    assertEquals(0, vg("forget", "--vault", vault, "--master-key", key, "--recovery-point", first).exit());
    CliRun gc = vg("vault", "gc", "--vault", vault, "--master-key", key, "--json");
    assertEquals(0, gc.exit(), gc.toString());
    assertTrue(new JsonObject(gc.lastLine()).getLong("bytesFreed") > 0, gc.toString());
    assertTrue(packs().size() <= packsBefore);

    assertEquals(0, vg("vault", "check", "--vault", vault, "--master-key", key, "--read-data").exit());
    Path target = tmp.resolve("out.img");
    assertEquals(0, vg("restore", "--vault", vault, "--master-key", key, "--recovery-point", second, "--target",
        target.toString()).exit());
    assertEquals(-1L, Files.mismatch(source, target));
  }

  @Test
  void helpListsEveryCommand() {
    CliRun r = vg("--help");
    assertEquals(0, r.exit());
    for (String c : List.of("vault", "backup", "restore", "points", "forget")) {
      assertTrue(r.out().contains(c), c);
    }
  }
}
