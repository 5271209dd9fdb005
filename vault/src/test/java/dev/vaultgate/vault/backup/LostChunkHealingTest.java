package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.LossRecord;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.IndexListing;
import dev.vaultgate.vault.repo.IndexRepair;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.testing.TestVaults;
import dev.vaultgate.vault.testing.FaultyVaultStorage;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pack the index names goes missing (deleted by hand, lost by the storage), or a check finds chunks damaged in one
 * (bit rot). Before, every later backup found those chunks in the index and named them without storing them: each new
 * point was as damaged as the old. Now the index forgets them (the next backup for a missing pack, recorded in
 * {@code index/<id>.lost}; a check with --repair-index for damaged chunks, in {@code index/<id>.damaged}), and the
 * next backup stores again what its source still holds, which also makes the older points whole. Real file storage
 * and the real S3 server; nothing is mocked.
 */
class LostChunkHealingTest {
  private static final int BLOCK = EngineFixture.BLOCK;
  private static final int PACK = 1 << 20;

  @TempDir
  Path tmp;
  private EngineFixture vault;

  @AfterEach
  void tearDown() {
    if (vault != null) {
      vault.close();
    }
  }

  private void init(String kind) throws IOException {
    // On S3 through the retries every command has (VaultStorages.open): the S3 server at times closes a kept-alive
    // connection under a request, and this test makes many.
    vault = kind.equals("s3") ? EngineFixture.on(tmp, v -> new RetryingVaultStorage(v, TestVaults.newS3Storage(v)))
        : EngineFixture.onFiles(tmp);
    vault.init(new VaultSettings(BLOCK, PACK)).close();
  }

  /** A random image (every block distinct, so each chunk is stored once) of {@code blocks} blocks. */
  private Path image(String name, int blocks, long seed) throws IOException {
    byte[] bytes = new byte[blocks * BLOCK];
    new Random(seed).nextBytes(bytes);
    return Files.write(tmp.resolve(name), bytes);
  }

  private Set<String> packKeys() {
    Set<String> keys = new HashSet<>();
    for (ObjectInfo o : vault.await(() -> vault.storage.list(ObjectKeys.PACKS))) {
      keys.add(o.key());
    }
    return keys;
  }

  /** The oldest pack's id. */
  private String firstPackId() {
    return ObjectKeys.idOf(packKeys().stream().sorted().findFirst().orElseThrow());
  }

  /** Deletes one pack stored since {@code before}; answers the chunks the index placed in it. */
  private int losePackStoredAfter(Set<String> before) {
    Set<String> stored = packKeys();
    stored.removeAll(before);
    String victim = stored.stream().sorted().findFirst().orElseThrow();
    String packId = ObjectKeys.idOf(victim);
    int chunks = (int) vault.withRepo(repo -> repo.onCpu(() -> repo.index().entries().stream()
        .filter(e -> e.packId().equals(packId)).count())).longValue();
    assertTrue(chunks > 0, "the pack held chunks");
    vault.await(() -> vault.storage.delete(victim));
    return chunks;
  }

  private CheckReport check() {
    return vault.withRepo(repo -> VaultChecker.check(repo, false));
  }

  private IndexListing listing() {
    return vault.withRepo(repo -> Future.succeededFuture(repo.indexListing()));
  }

  private void assertRestores(String pointId, Path source) throws IOException {
    Path target = tmp.resolve("restored-" + pointId + ".img");
    vault.restore(pointId, target);
    assertEquals(-1L, Files.mismatch(source, target), "point " + pointId + " restored byte for byte");
  }

  @ParameterizedTest
  @ValueSource(strings = {"file", "s3"})
  void theNextBackupForgetsALostPackStoresItsChunksAgainAndTheOldPointIsWholeAgain(String kind) throws IOException {
    init(kind);
    Path source = image("disk.img", 96, 1);
    BackupResult first = vault.backup(source);
    int lost = losePackStoredAfter(Set.of());
    CheckReport damaged = check();
    assertFalse(damaged.ok());
    assertTrue(damaged.errors().get(0).contains("is indexed but missing") && damaged.errors().get(0).contains("repair-index"),
        damaged.errors().toString());

    BackupResult second = vault.backup(source, vault.point(first.recoveryPointId()), null);
    assertEquals(lost, second.chunksNew(), "the lost pack's chunks, and only those, are stored again");
    IndexListing listing = listing();
    assertEquals(1, listing.lostRecords().size(), "the loss is recorded");
    String record = listing.lostRecords().get(0);
    List<IndexEntry> recorded = vault.withRepo(repo -> repo.storage().get(LossRecord.LOST.key(record))
        .map(bytes -> LossRecord.LOST.decode(repo.keys(), record, bytes)));
    assertEquals(lost, recorded.size(), "the record names each lost chunk");

    CheckReport healed = check();
    assertTrue(healed.ok(), healed.errors().toString());
    assertRestores(second.recoveryPointId(), source);
    assertRestores(first.recoveryPointId(), source); // its chunks are found by id, now in the new packs
    assertEquals(0, vault.backup(source, vault.point(second.recoveryPointId()), null).chunksNew(), "healed for good");
  }

  @Test
  void aChangedExtentsBackupReadsTheBlocksOfLostChunksOutsideItsExtents() throws IOException {
    init("file");
    Path source = image("disk.img", 96, 2);
    BackupResult first = vault.backup(source);
    int lost = losePackStoredAfter(Set.of());

    // The source changed nowhere: CBT would say so. Unread blocks would keep the previous point's lost chunks.
    BackupResult second = vault.backup(source, vault.point(first.recoveryPointId()), ChangedExtents.of(List.of()));
    assertEquals(lost, second.chunksNew());
    assertEquals((long) lost * BLOCK, second.bytesRead(), "only the lost chunks' blocks were read");
    assertTrue(check().ok(), check().errors().toString());
    assertRestores(second.recoveryPointId(), source);
  }

  @Test
  void anotherDisksChangedExtentsBackupAfterTheRepairRereadsItsLostBlocksFromTheRecord() throws IOException {
    init("file");
    Path a = image("a.img", 32, 3);
    Path b = image("b.img", 48, 4);
    BackupResult firstA = vault.backup(a, BackupJob.Options.defaults("a"));
    Set<String> packsOfA = packKeys();
    BackupResult firstB = vault.backup(b, BackupJob.Options.defaults("b"));
    int lost = losePackStoredAfter(packsOfA); // one of b's

    // A's backup reads all of a: it forgets b's lost pack, and stores nothing (none of a's chunks were in it).
    assertEquals(0, vault.backup(a, BackupJob.Options.defaults("a").withPrevious(vault.point(firstA.recoveryPointId())))
        .chunksNew());
    CheckReport damaged = check();
    assertEquals(1, damaged.errors().size(), damaged.errors().toString());
    assertTrue(damaged.errors().get(0).contains(lost + " of them were lost with their packs"), damaged.errors().toString());

    // b's next backup reads no extent, yet the record tells it which unread blocks name lost chunks.
    BackupResult secondB = vault.backup(b, BackupJob.Options.defaults("b").withPrevious(vault.point(firstB.recoveryPointId()))
        .withChangedExtents(ChangedExtents.of(List.of())));
    assertEquals(lost, secondB.chunksNew());
    assertTrue(check().ok(), check().errors().toString());
    assertRestores(secondB.recoveryPointId(), b);
    assertRestores(firstB.recoveryPointId(), b);
  }

  @Test
  void chunksTheSourceNoLongerHoldsStayLostAndASkippingRestoreSaysWhere() throws IOException {
    init("file");
    Path source = image("disk.img", 64, 5);
    BackupResult first = vault.backup(source);
    losePackStoredAfter(Set.of());
    Path other = image("other.img", 64, 6); // the disk was rewritten: none of the old chunks are in it
    BackupResult second = vault.backup(other, vault.point(first.recoveryPointId()), null);
    assertEquals(64, second.chunksNew());

    CheckReport report = check();
    assertEquals(1, report.errors().size(), report.errors().toString());
    assertTrue(report.errors().get(0).contains("recovery point " + first.recoveryPointId()), report.errors().toString());
    assertRestores(second.recoveryPointId(), other);
    RestoreResult partial = vault.restore(first.recoveryPointId(), tmp.resolve("partial.img"),
        RestoreJob.Options.defaults().withSkipDamaged(true));
    assertFalse(partial.damaged().isEmpty());
    assertTrue(partial.damaged().get(0).why().contains("in no index segment"), partial.damaged().toString());
  }

  @Test
  void aRepositoryThatFindsTheLostPackForgottenByAnotherProcessMeanwhileLeavesItToThatOne() throws IOException {
    init("file");
    Path source = image("disk.img", 32, 8);
    vault.backup(source);
    try (Repository other = vault.open()) { // read before the other process replaced the segment
      String lostPack = firstPackId();
      vault.await(() -> vault.storage.delete(ObjectKeys.pack(lostPack)));
      IndexRepair.Report first = vault.withRepo(repo -> IndexRepair.repairIndex(repo, "test"));
      assertEquals(List.of(ObjectKeys.pack(lostPack)), first.packsLost());

      assertEquals(0, vault.await(() -> other.forgetLostPacks(Set.of(lostPack))), "nothing left to record");
      assertFalse(other.indexedPacks().contains(lostPack), "its index read again");
      assertEquals(1, listing().lostRecords().size(), "one record: the first process's");
    }
  }

  /** The file of a pack of the file vault. */
  private Path packFile(String packId) {
    return vault.dir.resolve("vault").resolve(ObjectKeys.pack(packId));
  }

  /** The index entries of {@code packId}, by offset. */
  private List<IndexEntry> entriesOf(String packId) {
    return vault.withRepo(repo -> repo.onCpu(() -> repo.index().entries().stream().filter(e -> e.packId().equals(packId))
        .sorted(java.util.Comparator.comparingInt(IndexEntry::offset)).toList()));
  }

  /** Runs a check reading every byte, then forgets the damaged chunks it found as 'check --repair-index' does. */
  private int checkAndForgetDamaged(int expectDamaged) {
    return vault.withRepo(repo -> VaultChecker.check(repo, true).compose(report -> {
      assertEquals(expectDamaged, report.damagedChunks().size(), report.errors().toString());
      return dev.vaultgate.vault.repo.VaultLock.shared(repo, "test").compose(lock -> repo.refreshIndex()
          .compose(v -> repo.forgetDamagedChunks(report.damagedChunks())).eventually(lock::release));
    }));
  }

  /** Flips a bit in every chunk of the oldest pack and forgets them as a check would; answers their entries. */
  private List<IndexEntry> damageEveryChunkOfTheFirstPackAndForgetThem() throws IOException {
    String packId = firstPackId();
    List<IndexEntry> all = entriesOf(packId);
    for (IndexEntry e : all) {
      EngineFixture.flipBit(packFile(packId), e.offset() + 20);
    }
    assertEquals(all.size(), checkAndForgetDamaged(all.size()));
    return all;
  }

  @Test
  void aChunkACheckFindsDamagedIsForgottenAndStoredAgainByTheNextBackup() throws IOException {
    init("file");
    Path source = image("disk.img", 32, 9);
    BackupResult first = vault.backup(source);
    String packId = firstPackId();
    IndexEntry victim = entriesOf(packId).get(1);
    EngineFixture.flipBit(packFile(packId), victim.offset() + 20); // bit rot inside one chunk

    assertEquals(1, checkAndForgetDamaged(1));
    assertEquals(1, listing().damagedRecords().size(), "the damage is recorded");
    assertTrue(listing().lostRecords().isEmpty());
    CheckReport forgotten = check();
    assertTrue(forgotten.errors().get(0).contains("1 of them were lost with their packs or found damaged"),
        forgotten.errors().toString());

    BackupResult second = vault.backup(source, vault.point(first.recoveryPointId()), null);
    assertEquals(1, second.chunksNew(), "the damaged chunk, and only it, is stored again");
    CheckReport healed = vault.withRepo(repo -> VaultChecker.check(repo, true));
    assertTrue(healed.ok(), healed.errors().toString());
    assertRestores(first.recoveryPointId(), source);
    assertRestores(second.recoveryPointId(), source);
  }

  @Test
  void theChunksATruncatedPackCutOffAreForgottenWithoutReadsPastItsEndAndStoredAgain() throws IOException {
    init("file");
    Path source = image("disk.img", 32, 12);
    BackupResult first = vault.backup(source);
    String packId = firstPackId();
    List<IndexEntry> entries = entriesOf(packId);
    long half = Files.size(packFile(packId)) / 2;
    long cutOff = entries.stream().filter(e -> (long) e.offset() + e.length() > half).count();
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(packFile(packId).toFile(), "rw")) {
      f.setLength(half);
    }

    assertEquals(cutOff, checkAndForgetDamaged((int) cutOff));
    BackupResult second = vault.backup(source, vault.point(first.recoveryPointId()), null);
    assertEquals(cutOff, second.chunksNew());
    assertRestores(first.recoveryPointId(), source);
    assertRestores(second.recoveryPointId(), source);
  }

  @Test
  void aSoundChunkReportedDamagedIsReadAgainAndNotForgotten() throws IOException {
    init("file");
    vault.backup(image("disk.img", 32, 10));
    String packId = firstPackId();
    List<IndexEntry> entries = entriesOf(packId);
    IndexEntry sound = entries.get(0); // as if a read had been spoiled on the way

    assertEquals(0, vault.<Integer>withRepo(repo -> repo.forgetDamagedChunks(List.of(sound))));
    assertTrue(listing().damagedRecords().isEmpty());
    assertEquals(entries.size(), entriesOf(packId).size(), "the index names every chunk of the pack still");
  }

  @Test
  void aPackAllOfWhoseChunksWereForgottenAsDamagedIsNotAdoptedAgain() throws IOException {
    init("file");
    Path source = image("disk.img", 40, 11);
    BackupResult first = vault.backup(source);
    List<IndexEntry> all = damageEveryChunkOfTheFirstPackAndForgetThem();

    // The pack is now an orphan whose header still authenticates: adopting it would bring the damaged chunks back.
    BackupResult second = vault.backup(source, vault.point(first.recoveryPointId()), null);
    assertEquals(all.size(), second.chunksNew(), "every damaged chunk is stored again, none adopted");
    CheckReport healed = vault.withRepo(repo -> VaultChecker.check(repo, true));
    assertTrue(healed.ok(), healed.errors().toString());
    assertRestores(first.recoveryPointId(), source);
  }

  @Test
  void anUnreadableRecordOfDamagedChunksAdoptsNoOrphanAndFailsNoBackup() throws IOException {
    init("file");
    Path source = image("disk.img", 40, 13);
    BackupResult first = vault.backup(source);
    List<IndexEntry> all = damageEveryChunkOfTheFirstPackAndForgetThem();
    String record = listing().damagedRecords().get(0);
    EngineFixture.flipBit(vault.dir.resolve("vault").resolve(LossRecord.DAMAGED.key(record)), 40);

    BackupResult second = vault.backup(source, vault.point(first.recoveryPointId()), null);
    assertEquals(all.size(), second.chunksNew(), "the orphan is not adopted: its chunks are stored again");
    assertRestores(first.recoveryPointId(), source);
  }

  @Test
  void aPackMissingOnlyFromTheListingIsNotForgotten() throws IOException {
    init("file");
    Path source = image("disk.img", 32, 7);
    BackupResult first = vault.backup(source);
    String hidden = ObjectKeys.pack(firstPackId());
    FaultyVaultStorage faulty = new FaultyVaultStorage(vault.vertx, vault.storage).hideFromListings(hidden);
    vault.wrap(s -> faulty);

    BackupResult second = vault.backup(source, vault.point(first.recoveryPointId()), null);
    assertEquals(0, second.chunksNew(), "HEAD found the pack: nothing forgotten, nothing stored again");
    IndexRepair.Report report = vault.withRepo(repo -> IndexRepair.repairIndex(repo, "test"));
    assertTrue(report.packsLost().isEmpty(), report.toString());
    assertTrue(listing().lostRecords().isEmpty());
    faulty.heal();
    assertTrue(check().ok(), check().errors().toString());
  }
}
