package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.backup.BackupJob;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.repo.VaultException;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectLockState;
import dev.vaultgate.vault.storage.ObjectLockedException;
import dev.vaultgate.vault.storage.Retention;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.testing.RecordingVaultStorage;
import dev.vaultgate.vault.testing.RequiresRgw;
import dev.vaultgate.vault.testing.TestRgw;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Locked vaults on Ceph RGW: what the engine writes with which retention, and what S3 then refuses to the vault's
 * own credentials. Packs are 1 MiB so that a few MiB of image make several.
 */
@RequiresRgw
class LockedVaultTest {
  private static final int PACK = 1 << 20;

  @TempDir
  Path dir;
  private EngineFixture vault;
  private Vertx vertx;
  private S3VaultStorage s3;
  private RecordingVaultStorage storage;
  private LocalKeyWrapper key;

  @BeforeEach
  void open() {
    // As VaultStorages.open does: RGW sometimes closes a kept-alive connection under a request, which is retried.
    vault = EngineFixture.on(dir, v -> new RecordingVaultStorage(new RetryingVaultStorage(v, s3 = TestRgw.newStorage(v, true))));
    vertx = vault.vertx;
    storage = (RecordingVaultStorage) vault.storage;
    key = vault.key;
  }

  @AfterEach
  void close() {
    vault.close();
  }

  private static Instant inSeconds(long seconds) {
    return Instant.now().plusSeconds(seconds).truncatedTo(ChronoUnit.SECONDS);
  }

  private void init(RetentionMode mode, Duration min, Duration max) {
    VaultSettings settings = new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, PACK)
        .withLock(new RetentionLock(mode, min, max));
    vault.await(() -> Repository.init(vertx, storage, key, settings)).close();
  }

  private Path image(long seed, int bytes) throws IOException {
    byte[] data = new byte[bytes];
    new Random(seed).nextBytes(data);
    Path file = dir.resolve("image-" + seed);
    Files.write(file, data);
    return file;
  }

  private BackupResult backup(Path source, Instant retainUntil) {
    return backup(storage, source, retainUntil);
  }

  private BackupResult backup(VaultStorage through, Path source, Instant retainUntil) {
    Repository repo = vault.await(() -> Repository.open(vertx, through, key));
    try (FileBlockSource src = FileBlockSource.open(source)) {
      return vault.await(() -> BackupJob.run(repo, src, BackupJob.Options.defaults("disk0").withRetainUntil(retainUntil)));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      repo.close();
    }
  }

  private List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>();
    for (ObjectInfo o : vault.await(() -> storage.list(prefix))) {
      keys.add(o.key());
    }
    return keys;
  }

  private Retention retentionOf(String key) {
    return vault.await(() -> storage.lockState(key)).retention().orElseThrow(() -> new AssertionError(key + " has no retention"));
  }

  @Test
  void bucketWithoutObjectLockIsRefusedForALockedVault() {
    VaultStorage plain = new RetryingVaultStorage(vertx, TestRgw.newStorage(vertx, false));
    VaultSettings locked = VaultSettings.defaults().withLock(
        new RetentionLock(RetentionMode.COMPLIANCE, Duration.ofDays(1), Duration.ofDays(30)));
    try {
      VaultException e = assertThrows(VaultException.class, () -> vault.await(() -> Repository.init(vertx, plain, key, locked)));
      assertEquals("cannot init a COMPLIANCE-locked vault in " + plain.describe() + ": the bucket does not have Object Lock"
          + " enabled (GetObjectLockConfiguration found none; Object Lock can only be enabled when a bucket is created:"
          + " create-bucket --object-lock-enabled-for-bucket)", e.getMessage());
      assertTrue(vault.await(() -> plain.list("")).isEmpty(), "nothing was written");
    } finally {
      plain.close();
    }
    FileVaultStorage files = new FileVaultStorage(vertx, dir);
    VaultException e = assertThrows(VaultException.class, () -> vault.await(() -> Repository.init(vertx, files, key, locked)));
    assertTrue(e.getMessage().endsWith("only an S3 bucket with Object Lock enabled can hold a locked vault"), e.getMessage());
  }

  @Test
  void compliancePointObjectsCannotBeDeletedOrShortenedBeforeRetention() throws IOException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    Instant until = inSeconds(1800);
    String point = backup(image(1, 3 * PACK), until).recoveryPointId();

    List<String> needed = new ArrayList<>(keys("packs/"));
    needed.addAll(keys("index/"));
    needed.add(ObjectKeys.point(point));
    needed.add(ObjectKeys.CONFIG);
    assertTrue(keys("packs/").size() >= 3, "several packs: " + keys("packs/"));
    for (String k : needed) {
      Retention r = retentionOf(k);
      assertEquals(RetentionMode.COMPLIANCE, r.mode(), k);
      assertFalse(r.retainUntil().isBefore(until), k + " retained " + r + ", point needs " + until);
    }
    for (String k : needed) {
      // Even the bucket owner asking to bypass governance cannot delete a version under COMPLIANCE.
      assertThrows(ObjectLockedException.class, () -> vault.await(() -> storage.deleteAllVersions(k, true)), k);
    }
    ObjectLockedException forget = assertThrows(ObjectLockedException.class,
        () -> vault.withRepo(repo -> repo.deletePoint(point)));
    assertTrue(forget.getMessage().startsWith("cannot delete " + ObjectKeys.point(point)), forget.getMessage());
    String pack = keys("packs/").get(0);
    assertFalse(vault.await(() -> storage.extendRetention(pack, new Retention(RetentionMode.COMPLIANCE, inSeconds(60)))),
        "a shorter retention is never asked for");
    assertFalse(retentionOf(pack).retainUntil().isBefore(until));

    CheckReport report = vault.withRepo(repo -> VaultChecker.check(repo, true));
    assertTrue(report.ok(), report.errors().toString());
  }

  @Test
  void retentionLongerThanTheLockMaximumIsRefusedBeforeAnythingIsWritten() throws IOException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    storage.clear();
    Path source = image(2, PACK);
    Instant tooLate = Instant.now().plus(Duration.ofDays(2));
    VaultException e = assertThrows(VaultException.class, () -> backup(source, tooLate));
    assertTrue(e.getMessage().startsWith("cannot retain a recovery point of vault " + s3.describe() + " until " + tooLate),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("longer than the vault lock's maximum retention of 1 day"), e.getMessage());
    assertEquals(List.of(), storage.events("put "), "nothing was written, not even a vault lock");
    assertEquals(List.of(), keys("packs/"));
  }

  @Test
  void reusedPacksAreExtendedOncePerPackBeforeTheManifestIsWritten() throws IOException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    Path source = image(3, 3 * PACK);
    backup(source, inSeconds(600));
    List<String> packs = keys("packs/");
    assertTrue(packs.size() >= 3, packs.toString());

    storage.clear();
    Instant later = inSeconds(1200);
    BackupResult second = backup(source, later);
    assertEquals(0, second.bytesNew(), "every chunk reused");
    List<String> retained = storage.events("retain packs/");
    assertEquals(packs.size(), retained.size(), "one PutObjectRetention per pack: " + retained);
    assertEquals(Set.copyOf(packs), Set.copyOf(retained.stream().map(e -> e.substring("retain ".length())).toList()));
    int manifestAt = storage.events().indexOf("put " + ObjectKeys.point(second.recoveryPointId()));
    int lastRetainAt = storage.events().lastIndexOf(retained.get(retained.size() - 1));
    assertTrue(lastRetainAt < manifestAt, "extended before the manifest was written: " + storage.events());
    for (String pack : packs) {
      assertFalse(retentionOf(pack).retainUntil().isBefore(later), pack);
    }
    for (String segment : keys("index/")) {
      assertFalse(retentionOf(segment).retainUntil().isBefore(later), "the index naming a reused pack too: " + segment);
    }

    storage.clear();
    backup(source, inSeconds(900)); // shorter than what the packs have: nothing to extend
    assertEquals(List.of(), storage.events("retain "));
  }

  @Test
  void governancePointIsDeletedOnlyWhenTheCallerBypasses() throws IOException {
    init(RetentionMode.GOVERNANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    String point = backup(image(4, PACK), inSeconds(1800)).recoveryPointId();
    String manifest = ObjectKeys.point(point);
    assertEquals(RetentionMode.GOVERNANCE, retentionOf(manifest).mode());

    // The engine never asks to bypass: forget is refused while the retention runs.
    assertThrows(ObjectLockedException.class, () -> vault.withRepo(repo -> repo.deletePoint(point)));
    assertThrows(ObjectLockedException.class, () -> vault.await(() -> storage.deleteAllVersions(manifest, false)));
    vault.await(() -> storage.deleteAllVersions(manifest, true));
    assertEquals(List.of(), keys("points/"));
  }

  @Test
  void aLegalHoldThroughARepositoryOpenedBeforeThePointWasMadeHoldsEverythingThePointNeeds() throws IOException {
    init(RetentionMode.GOVERNANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    try (Repository opened = vault.open()) { // before the point: its index names none of the point's packs
      String point = backup(image(6, 2 * PACK), inSeconds(60)).recoveryPointId(); // another process
      int held = vault.await(() -> LegalHolds.hold(opened, point));
      List<String> packs = keys("packs/");
      assertTrue(packs.size() >= 2, "the point has packs: " + packs);
      for (String pack : packs) {
        assertTrue(vault.await(() -> storage.lockState(pack)).legalHold(), "held: " + pack);
      }
      assertTrue(held >= packs.size() + 1, "the packs, their index segments and the manifest: " + held);
    }
  }

  @Test
  void legalHoldBlocksDeletionAndReleasingOnePointKeepsWhatAnotherHeldPointNeeds() throws IOException,
      InterruptedException {
    init(RetentionMode.GOVERNANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    Path source = image(5, 2 * PACK);
    Instant until = inSeconds(3);
    String a = backup(source, until).recoveryPointId();
    String b = backup(source, until).recoveryPointId(); // the same packs
    vault.withRepo(repo -> LegalHolds.hold(repo, a));
    vault.withRepo(repo -> LegalHolds.hold(repo, b));
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), until).toMillis()) + 1100);

    for (String pack : keys("packs/")) {
      assertTrue(vault.await(() -> storage.lockState(pack)).legalHold(), pack);
      assertThrows(ObjectLockedException.class, () -> vault.await(() -> storage.deleteAllVersions(pack, true)), pack);
    }
    assertThrows(ObjectLockedException.class, () -> vault.withRepo(repo -> repo.deletePoint(a)));

    vault.withRepo(repo -> LegalHolds.release(repo, a));
    assertFalse(vault.await(() -> storage.lockState(ObjectKeys.point(a))).legalHold());
    for (String pack : keys("packs/")) {
      assertTrue(vault.await(() -> storage.lockState(pack)).legalHold(), "still needed by held point " + b + ": " + pack);
    }
    vault.withRepo(repo -> repo.deletePoint(a)); // retention passed, hold released
    assertThrows(ObjectLockedException.class, () -> vault.withRepo(repo -> repo.deletePoint(b)));
    assertEquals(List.of(ObjectKeys.point(b)), keys("points/"));
  }

  @Test
  void gcAfterExpiryFreesTheSpaceButLeavesWhatIsStillRetained() throws IOException, InterruptedException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    Instant soon = inSeconds(3);
    String shortLived = backup(image(6, 2 * PACK), soon).recoveryPointId();
    List<String> shortPacks = keys("packs/");
    String longLived = backup(image(7, 2 * PACK), inSeconds(1800)).recoveryPointId();
    List<String> longPacks = new ArrayList<>(keys("packs/"));
    longPacks.removeAll(shortPacks);

    assertThrows(ObjectLockedException.class, () -> vault.withRepo(repo -> repo.deletePoint(shortLived)));
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), soon).toMillis()) + 1100);
    vault.withRepo(repo -> repo.deletePoint(shortLived));

    GcReport report = vault.withRepo(GarbageCollector::collect);
    assertEquals(shortPacks.size(), report.packsDeleted(), report.toString());
    assertTrue(report.bytesFreed() >= 2L * PACK - 4096, report.toString());
    assertEquals(Set.copyOf(longPacks), Set.copyOf(keys("packs/")));
    for (String pack : shortPacks) {
      assertTrue(storage.events().contains("destroy " + pack), "every version deleted: " + pack);
    }
    assertTrue(vault.withRepo(repo -> VaultChecker.check(repo, true)).ok());
    assertEquals(List.of(longLived), vault.withRepo(Repository::listPoints));
  }

  @Test
  void gcLeavesAnUnreferencedPackAloneWhileItIsRetained() throws IOException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    // A backup that dies before its manifest: its packs are referenced by nothing, but retained.
    FaultyVaultStorage failing = new FaultyVaultStorage(vertx, storage).failPutsUnder("points/");
    Path source = image(8, 2 * PACK);
    assertThrows(RuntimeException.class, () -> backup(failing, source, inSeconds(1800)));
    List<String> packs = keys("packs/");
    assertFalse(packs.isEmpty(), "the failed backup left packs");
    assertEquals(List.of(), keys("points/"));

    storage.clear();
    GcReport report = vault.withRepo(GarbageCollector::collect);
    assertEquals(0, report.packsDeleted(), report.toString());
    assertEquals(packs.size(), report.packsRetained(), report.toString());
    assertEquals(List.of(), storage.events("destroy packs/"), "gc tried no delete S3 would refuse");
    assertEquals(List.of(), storage.events("destroy index/"), "nor of the index naming those packs");
    assertEquals(packs, keys("packs/"));
  }

  /** What {@link #aDeletedWhileBKeepsItsFirstBlocks} made: A's packs, and B's point and image. */
  private record TwoPoints(List<String> packsOfA, String b, byte[] imageOfB) {
  }

  /**
   * Point A of two packs retained for 3 s, then point B that shares only A's first 4 blocks, retained until
   * {@code bUntil} (null: as long as A); once A's retention has run out, A is deleted.
   */
  private TwoPoints aDeletedWhileBKeepsItsFirstBlocks(long seed, Instant bUntil) throws IOException, InterruptedException {
    Path first = image(seed, 2 * PACK);
    Instant soon = inSeconds(3);
    String a = backup(first, soon).recoveryPointId();
    List<String> packsOfA = keys("packs/");
    byte[] second = Files.readAllBytes(image(seed + 1, 2 * PACK));
    System.arraycopy(Files.readAllBytes(first), 0, second, 0, 4 * VaultSettings.DEFAULT_BLOCK_SIZE);
    String b = backup(Files.write(dir.resolve("second"), second), bUntil == null ? soon : bUntil).recoveryPointId();
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), soon).toMillis()) + 1100);
    vault.withRepo(repo -> repo.deletePoint(a));
    return new TwoPoints(packsOfA, b, second);
  }

  @Test
  void aBackupOfALockedVaultWritesOneSegmentForAllItsPacksRetainedAsLongAsThePoint() throws IOException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    Instant until = inSeconds(1800);
    backup(image(14, 4 * PACK), until);
    assertTrue(keys("packs/").size() >= 4, keys("packs/").toString());
    List<String> segments = keys("index/");
    assertEquals(1, segments.size(), "one segment, not one per pack: " + segments);
    assertFalse(retentionOf(segments.get(0)).retainUntil().isBefore(until));
  }

  @Test
  void gcSupersedesTheSegmentAReusingPointKeepsAndDeletesTheGarbagePacksItNamed() throws IOException, InterruptedException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    // A's packs share one segment. B reuses A's first blocks: its backup extended A's first pack and that segment to
    // B's retention. Once A is gone, A's other packs are garbage whose own retention has ended; the segment is not.
    Instant later = inSeconds(1800);
    TwoPoints points = aDeletedWhileBKeepsItsFirstBlocks(10, later);
    List<String> packsOfA = points.packsOfA();
    Repository keptOpen = vault.open(); // a gateway that keeps the vault open across the gc
    String packOfA = ObjectKeys.idOf(packsOfA.get(0));
    String segmentOfA = ObjectKeys.index(keptOpen.packsBySegment().entrySet().stream()
        .filter(e -> e.getValue().contains(packOfA)).map(java.util.Map.Entry::getKey).findFirst().orElseThrow());

    storage.clear();
    GcReport report = vault.withRepo(GarbageCollector::collect);
    assertEquals(0, report.packsRepacked(), report.toString());
    assertTrue(report.packsRetained() >= 1, report.toString());
    List<String> left = keys("packs/");
    List<String> kept = packsOfA.stream().filter(left::contains).toList();
    assertEquals(1, kept.size(), "A's first pack stays whole, its other packs go: " + report);
    assertFalse(retentionOf(kept.get(0)).retainUntil().isBefore(later));
    assertEquals(List.of(), storage.events("put packs/"), "nothing repacked");

    // The old segment stays (retained) but is marked superseded; its successor names the pack that stays, as long.
    List<String> index = keys("index/");
    String mark = ObjectKeys.supersededMark(ObjectKeys.idOf(segmentOfA));
    assertTrue(index.contains(segmentOfA) && index.contains(mark), index.toString());
    assertFalse(retentionOf(mark).retainUntil().isBefore(later), "the mark lasts as long as the old segment");
    List<String> others = index.stream().filter(k -> !k.equals(segmentOfA) && ObjectKeys.idOf(k) != null).toList();
    assertEquals(2, others.size(), "B's segment and the successor: " + index);
    for (String segment : others) {
      assertFalse(retentionOf(segment).retainUntil().isBefore(later), segment);
    }

    Set<String> deleted = new java.util.HashSet<>(packsOfA);
    deleted.removeAll(kept);
    deleted = deleted.stream().map(ObjectKeys::idOf).collect(java.util.stream.Collectors.toSet());
    try (Repository fresh = vault.open()) {
      Set<String> indexed = fresh.indexedPacks();
      assertTrue(deleted.stream().noneMatch(indexed::contains), "a fresh open indexes no deleted pack: " + indexed);
      assertEquals(Set.of(ObjectKeys.idOf(kept.get(0))), fresh.packsBySegment().values().stream()
          .flatMap(Set::stream).filter(p -> packsOfA.contains(ObjectKeys.pack(p))).collect(java.util.stream.Collectors.toSet()));
    }
    // The kept-open gateway backs A's image up again: what the deleted packs held is stored again, not reused.
    Path imageOfA = dir.resolve("image-10");
    BackupResult again;
    try (keptOpen; FileBlockSource src = FileBlockSource.open(imageOfA)) {
      again = vault.await(() -> BackupJob.run(keptOpen, src, BackupJob.Options.defaults("disk0").withRetainUntil(later)));
    }
    assertTrue(again.chunksNew() >= 2 * PACK / VaultSettings.DEFAULT_BLOCK_SIZE - 4 - 16, again.toString());
    assertTrue(vault.withRepo(repo -> VaultChecker.check(repo, true)).ok());
    Path restored = dir.resolve("restored");
    vault.restore(points.b(), restored);
    assertArrayEquals(points.imageOfB(), Files.readAllBytes(restored));
    Path restoredA = dir.resolve("restored-a");
    vault.restore(again.recoveryPointId(), restoredA);
    assertArrayEquals(Files.readAllBytes(imageOfA), Files.readAllBytes(restoredA));
  }

  @Test
  void aLostPackOfALockedVaultIsForgottenBySupersessionAndRecordedAsLongAsItsSegmentWasRetained() throws IOException {
    init(RetentionMode.GOVERNANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    Instant until = inSeconds(1800);
    Path source = image(20, 3 * PACK);
    BackupResult first = backup(source, until);
    String segment = keys("index/").get(0);
    String lostPack = keys("packs/").get(0);
    vault.await(() -> storage.deleteAllVersions(lostPack, true)); // bypassing governance: how a pack gets lost here

    BackupResult second = vault.backup(source, BackupJob.Options.defaults("disk0").withRetainUntil(until)
        .withPrevious(vault.point(first.recoveryPointId())));
    assertTrue(second.chunksNew() > 0, "the lost pack's chunks are stored again: " + second);
    List<String> index = keys("index/");
    String mark = ObjectKeys.supersededMark(ObjectKeys.idOf(segment));
    assertTrue(index.contains(segment) && index.contains(mark), "the retained segment is superseded: " + index);
    String record = index.stream().filter(k -> dev.vaultgate.vault.format.LossRecord.LOST.idOf(k) != null).findFirst().orElseThrow();
    for (String kept : List.of(mark, record)) {
      assertFalse(retentionOf(kept).retainUntil().isBefore(until), "retained as long as the old segment: " + kept);
    }
    try (Repository fresh = vault.open()) {
      assertFalse(fresh.indexedPacks().contains(ObjectKeys.idOf(lostPack)), "no index names the lost pack");
    }
    CheckReport check = vault.withRepo(repo -> VaultChecker.check(repo, true));
    assertTrue(check.ok(), check.errors().toString());
    for (String point : List.of(first.recoveryPointId(), second.recoveryPointId())) {
      Path restored = dir.resolve("restored-" + point);
      vault.restore(point, restored);
      assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(restored), point);
    }
  }

  @Test
  void aSupersededSegmentAndItsMarkGoOnceNothingRetainsThem() throws IOException, InterruptedException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    Instant bUntil = inSeconds(9);
    TwoPoints points = aDeletedWhileBKeepsItsFirstBlocks(16, bUntil);
    vault.withRepo(GarbageCollector::collect);
    assertTrue(keys("index/").stream().anyMatch(k -> ObjectKeys.supersededIdOf(k) != null), keys("index/").toString());

    Thread.sleep(Math.max(0, Duration.between(Instant.now(), bUntil).toMillis()) + 1100);
    vault.withRepo(repo -> repo.deletePoint(points.b()));
    GcReport report = vault.withRepo(GarbageCollector::collect);
    assertEquals(List.of(), keys("packs/"), report.toString());
    assertEquals(List.of(), keys("index/"), "segments, the superseded one and its mark all gone: " + report);
  }

  @Test
  void gcRepacksAMostlyGarbagePackOnceNothingRetainsItAndTheRemainingPointRestores() throws IOException,
      InterruptedException {
    init(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    // B is retained no longer than A: A's first pack is mostly garbage that nothing protects, with B's 4 blocks in it.
    TwoPoints points = aDeletedWhileBKeepsItsFirstBlocks(12, null);
    List<String> packsOfA = points.packsOfA();
    String b = points.b();
    byte[] second = points.imageOfB();

    storage.clear();
    GcReport report = vault.withRepo(GarbageCollector::collect);
    assertEquals(1, report.packsRepacked(), report.toString());
    assertEquals(packsOfA.size() - 1, report.packsDeleted(), report.toString());
    assertEquals(0, report.packsRetained(), report.toString());
    assertEquals(1, storage.events("put packs/").size(), "B's 4 blocks in one new pack: " + storage.events());
    List<String> left = keys("packs/");
    assertTrue(packsOfA.stream().noneMatch(left::contains), "every pack of A is gone: " + left);
    assertTrue(vault.withRepo(repo -> VaultChecker.check(repo, true)).ok());
    Path restored = dir.resolve("restored");
    vault.restore(b, restored);
    assertArrayEquals(second, Files.readAllBytes(restored));
  }

  @Test
  void checkReportsAPackRetainedShorterThanItsPointNeeds() throws IOException {
    init(RetentionMode.GOVERNANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    Instant until = inSeconds(1800);
    String point = backup(image(9, PACK), until).recoveryPointId();
    String pack = keys("packs/").get(0);
    // Someone allowed to bypass governance shortens one pack's retention behind the vault's back.
    Instant shorter = inSeconds(600);
    String bucket = s3.describe().substring("s3://".length(), s3.describe().indexOf('/', "s3://".length()));
    try (S3AsyncClient raw = TestRgw.client()) {
      raw.putObjectRetention(b -> b.bucket(bucket).key("vault/" + pack).bypassGovernanceRetention(true)
          .retention(r -> r.mode("GOVERNANCE").retainUntilDate(shorter))).join();
    }
    CheckReport report = vault.withRepo(repo -> VaultChecker.check(repo, false));
    assertEquals(List.of(pack + " is retained GOVERNANCE until " + shorter + " but recovery point " + point + " needs it "
        + "GOVERNANCE until " + until), report.errors());
  }

  @Test
  void stateOfAnObjectWithNeitherRetentionNorHoldIsNone() {
    init(RetentionMode.GOVERNANCE, Duration.ofSeconds(1), Duration.ofDays(1));
    vault.await(() -> storage.put("locks/plain", new byte[] {1}));
    assertEquals(ObjectLockState.NONE, vault.await(() -> storage.lockState("locks/plain")));
  }
}
