package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.copy.CopyJob;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.crypto.WrongMasterKeyException;
import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.ManifestCodec;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PackCodec;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.GarbageCollector;
import dev.vaultgate.vault.maintenance.GcReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.KeyGeneration;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-key rotation (issue 7) on real storage (a directory and the in-process S3 server): old points stay readable,
 * new objects name the newest generation (read from the stored bytes), dedup survives, planted generations are
 * refused, gc and copy work across generations, and a vault written before rotation existed keeps working.
 */
class KeyRotationTest {
  private static final int BLOCK = VaultSettings.DEFAULT_BLOCK_SIZE;
  private static final VaultSettings SMALL_PACKS = new VaultSettings(BLOCK, 1 << 20);

  @TempDir
  Path tmp;

  private static byte[] randomImage(long seed, int blocks) {
    byte[] b = new byte[blocks * BLOCK];
    new Random(seed).nextBytes(b);
    return b;
  }

  private Path write(String name, byte[] content) throws IOException {
    return Files.write(tmp.resolve(name), content);
  }

  private static Repository init(EngineFixture fx) {
    return fx.await(() -> Repository.init(fx.vertx, fx.storage, fx.key, SMALL_PACKS));
  }

  private static KeyGeneration rekey(EngineFixture fx) {
    try (Repository repo = fx.open()) {
      return fx.await(() -> repo.rekey(fx.key));
    }
  }

  private byte[] restored(EngineFixture fx, String pointId) throws IOException {
    Path target = tmp.resolve("restore-" + pointId);
    Files.deleteIfExists(target);
    fx.restore(pointId, target);
    return Files.readAllBytes(target);
  }

  private static Set<String> keysUnder(EngineFixture fx, String prefix) {
    Set<String> keys = new HashSet<>();
    for (ObjectInfo o : fx.await(() -> fx.storage.list(prefix))) {
      keys.add(o.key());
    }
    return keys;
  }

  private static byte[] get(EngineFixture fx, String key) {
    return fx.await(() -> fx.storage.get(key));
  }

  /** What a stored pack names, read from its bytes: the generation of its header and of each blob. */
  private record PackGenerations(String header, List<String> blobs) {
  }

  private static PackGenerations packGenerations(EngineFixture fx, Repository repo, String packKey) {
    byte[] bytes = get(fx, packKey);
    String packId = ObjectKeys.idOf(packKey);
    int trailerAt = bytes.length - PackCodec.TRAILER_BYTES;
    int headerLength = PackCodec.headerLength(packId, Arrays.copyOfRange(bytes, trailerAt, bytes.length));
    byte[] header = Arrays.copyOfRange(bytes, trailerAt - headerLength, trailerAt);
    List<String> blobs = new ArrayList<>();
    for (IndexEntry e : PackCodec.readHeader(repo.keys(), packId, header)) {
      blobs.add(VaultKeys.generationOf(bytes, (int) e.offset(), e.length()));
    }
    return new PackGenerations(VaultKeys.generationOf(header, 0, header.length), blobs);
  }

  @ParameterizedTest
  @ValueSource(strings = {"files", "s3"})
  void oldPointsRestoreByteIdenticalAfterOneAndTwoRotations(String kind) throws IOException {
    try (EngineFixture fx = EngineFixture.on(kind, tmp)) {
      init(fx).close();
      byte[] a = EngineFixture.mixedImage(1, 40 * BLOCK + 123);
      byte[] b = EngineFixture.mixedImage(2, 30 * BLOCK);
      byte[] c = EngineFixture.mixedImage(3, 20 * BLOCK + 7);
      String p0 = fx.backup(write("a.img", a)).recoveryPointId();
      KeyGeneration g1 = rekey(fx);
      String p1 = fx.backup(write("b.img", b)).recoveryPointId();
      assertArrayEquals(a, restored(fx, p0), "point of generation 0 after one rotation");
      KeyGeneration g2 = rekey(fx);
      String p2 = fx.backup(write("c.img", c)).recoveryPointId();
      assertArrayEquals(a, restored(fx, p0), "point of generation 0 after two rotations");
      assertArrayEquals(b, restored(fx, p1), "point of generation 1 after the second rotation");
      assertArrayEquals(c, restored(fx, p2));
      try (Repository repo = fx.open()) {
        List<KeyGeneration> all = repo.keyGenerations();
        assertEquals(3, all.size());
        assertNull(all.get(0).id());
        assertEquals(List.of(g1.id(), g2.id()), List.of(all.get(1).id(), all.get(2).id()));
        assertEquals(g2, repo.currentKeyGeneration());
        assertEquals(Set.of(ObjectKeys.key(g1.id()), ObjectKeys.key(g2.id())), keysUnder(fx, ObjectKeys.KEYS));
        CheckReport check = fx.await(() -> VaultChecker.check(repo, true));
        assertTrue(check.ok(), check.errors().toString());
        assertTrue(check.warnings().isEmpty(), check.warnings().toString());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"files", "s3"})
  void newPointsPacksIndexAndManifestAreSealedUnderTheNewestGeneration(String kind) throws IOException {
    try (EngineFixture fx = EngineFixture.on(kind, tmp)) {
      init(fx).close();
      String p0 = fx.backup(write("a.img", randomImage(1, 24))).recoveryPointId();
      Set<String> packsBefore = keysUnder(fx, ObjectKeys.PACKS);
      Set<String> indexBefore = keysUnder(fx, ObjectKeys.INDEX);
      KeyGeneration g1 = rekey(fx);
      String p1 = fx.backup(write("b.img", randomImage(2, 24))).recoveryPointId();

      byte[] oldManifest = get(fx, ObjectKeys.point(p0));
      byte[] newManifest = get(fx, ObjectKeys.point(p1));
      assertNull(ManifestCodec.generationOf(oldManifest), "a point of before the rotation is untouched");
      assertEquals(g1.id(), ManifestCodec.generationOf(newManifest));

      Set<String> newPacks = keysUnder(fx, ObjectKeys.PACKS);
      newPacks.removeAll(packsBefore);
      Set<String> newIndex = keysUnder(fx, ObjectKeys.INDEX);
      newIndex.removeAll(indexBefore);
      assertFalse(newPacks.isEmpty());
      assertFalse(newIndex.isEmpty());
      try (Repository repo = fx.open()) {
        for (String pack : newPacks) {
          PackGenerations named = packGenerations(fx, repo, pack);
          assertEquals(g1.id(), named.header(), pack);
          assertFalse(named.blobs().isEmpty());
          assertTrue(named.blobs().stream().allMatch(g1.id()::equals), pack + ": " + named.blobs());
        }
        for (String pack : packsBefore) {
          PackGenerations named = packGenerations(fx, repo, pack);
          assertNull(named.header());
          assertTrue(named.blobs().stream().allMatch(g -> g == null), pack + ": " + named.blobs());
        }
      }
      for (String segment : newIndex) {
        byte[] bytes = get(fx, segment);
        assertEquals(g1.id(), VaultKeys.generationOf(bytes, 0, bytes.length), segment);
      }
    }
  }

  @Test
  void backingUpTheSameImageAfterRotationUploadsNothingNew() throws IOException {
    try (EngineFixture fx = EngineFixture.onFiles(tmp)) {
      init(fx).close();
      Path image = write("a.img", EngineFixture.mixedImage(5, 48 * BLOCK));
      BackupResult first = fx.backup(image);
      assertTrue(first.chunksNew() > 10);
      Set<String> packs = keysUnder(fx, ObjectKeys.PACKS);
      rekey(fx);
      // no previous point given: every block is hashed and looked up in the index, as for another disk
      BackupResult again = fx.backup(image, null, null);
      assertEquals(0, again.chunksNew());
      assertEquals(0, again.bytesNew());
      assertEquals(packs, keysUnder(fx, ObjectKeys.PACKS), "no pack was written");
      assertArrayEquals(Files.readAllBytes(image), restored(fx, again.recoveryPointId()));
    }
  }

  @Test
  void aPlantedGenerationOfRandomBytesIsRefusedNamingItAndNothingIsWritten() throws IOException {
    try (EngineFixture fx = EngineFixture.onFiles(tmp)) {
      init(fx).close();
      Path image = write("a.img", randomImage(1, 8));
      String p0 = fx.backup(image).recoveryPointId();
      String planted = ObjectKeys.key(ObjectIds.newId());
      byte[] random = new byte[300];
      new Random(9).nextBytes(random);
      fx.await(() -> fx.storage.put(planted, random));
      assertRefusedAndNothingWritten(fx, image, planted, "is not a data-key generation (not JSON)");
      // the restore of an old point is refused too, rather than reading a vault someone tampered with
      assertThrows(CorruptObjectException.class, () -> restored(fx, p0));
    }
  }

  @Test
  void aPlantedGenerationWithAValidWrapButNoValidMacIsRefused() throws IOException {
    try (EngineFixture fx = EngineFixture.onFiles(tmp)) {
      init(fx).close();
      Path image = write("a.img", randomImage(1, 8));
      fx.backup(image);
      String vaultId;
      try (Repository repo = fx.open()) {
        vaultId = repo.config().vaultId();
      }
      String id = ObjectIds.newId();
      // what an attacker with the bucket but without the vault key can make: a key wrapped the way the vault wraps
      // (here even by the real master key, as a KMS Encrypt permission would allow), with a made-up MAC
      String body = new JsonObject().put("vaultId", vaultId).put("id", id).put("createdAt", System.currentTimeMillis())
          .put("cipher", "aes-256-gcm").put("keys", new JsonArray().add(new JsonObject().put("scheme", "local")
              .put("keyId", fx.key.keyId()).put("wrapped", Base64.getEncoder().encodeToString(fx.key.wrap(new byte[32])))))
          .encode();
      byte[] forged = new JsonObject().put("format", "vaultgate-data-key").put("version", 1).put("body", body)
          .put("mac", Base64.getEncoder().encodeToString(new byte[32])).encode().getBytes(StandardCharsets.UTF_8);
      fx.await(() -> fx.storage.put(ObjectKeys.key(id), forged));
      assertRefusedAndNothingWritten(fx, image, ObjectKeys.key(id), "fails its MAC under the vault's key");

      byte[] withoutMac = new JsonObject().put("format", "vaultgate-data-key").put("version", 1).put("body", body)
          .encode().getBytes(StandardCharsets.UTF_8);
      fx.await(() -> fx.storage.put(ObjectKeys.key(id), withoutMac));
      assertRefusedAndNothingWritten(fx, image, ObjectKeys.key(id), "no body and MAC");
    }
  }

  private void assertRefusedAndNothingWritten(EngineFixture fx, Path image, String planted, String why) {
    TreeMap<String, String> before = snapshot(fx);
    CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> fx.backup(image));
    assertTrue(e.getMessage().contains(planted + " of vault ") && e.getMessage().contains(why), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertEquals(before, snapshot(fx), "nothing was written");
  }

  /** Every object of the vault and a digest of its bytes. */
  private static TreeMap<String, String> snapshot(EngineFixture fx) {
    TreeMap<String, String> out = new TreeMap<>();
    for (ObjectInfo o : fx.await(() -> fx.storage.list(""))) {
      try {
        out.put(o.key(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(get(fx, o.key()))));
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  @Test
  void aWrongMasterKeyIsStillNamedAfterRotation() throws IOException {
    try (EngineFixture fx = EngineFixture.onFiles(tmp)) {
      init(fx).close();
      fx.backup(write("a.img", randomImage(1, 4)));
      rekey(fx);
      LocalKeyWrapper other = LocalKeyWrapper.create(tmp.resolve("other.key"));
      WrongMasterKeyException e = assertThrows(WrongMasterKeyException.class,
          () -> fx.await(() -> Repository.open(fx.vertx, fx.storage, other)));
      assertTrue(e.getMessage().startsWith("wrong master key for vault " + fx.storage.describe()), e.getMessage());
    }
  }

  @Test
  void gcRepacksBlobsOfOlderGenerationsAsTheyAreAndThePointStillRestores() throws IOException {
    try (EngineFixture fx = EngineFixture.onFiles(tmp)) {
      init(fx).close();
      byte[] a = randomImage(1, 64); // 4 MiB: four packs of ~1 MiB
      String p0 = fx.backup(write("a.img", a)).recoveryPointId();
      KeyGeneration g1 = rekey(fx);
      byte[] b = randomImage(2, 64);
      System.arraycopy(a, 0, b, 0, 4 * BLOCK); // a quarter of a's first pack stays live
      String p1 = fx.backup(write("b.img", b)).recoveryPointId();
      try (Repository repo = fx.open()) {
        fx.await(() -> repo.deletePoint(p0));
        GcReport gc = fx.await(() -> GarbageCollector.collect(repo));
        assertTrue(gc.packsRepacked() >= 1, gc.toString());
      }
      assertArrayEquals(b, restored(fx, p1));
      try (Repository repo = fx.open()) {
        boolean mixed = false;
        for (String pack : keysUnder(fx, ObjectKeys.PACKS)) {
          PackGenerations named = packGenerations(fx, repo, pack);
          if (named.blobs().contains(null)) {
            // a repacked pack: the new header under the newest generation, the moved blobs still naming theirs
            assertEquals(g1.id(), named.header(), pack);
            mixed = true;
          }
        }
        assertTrue(mixed, "the live generation-0 blobs of a's first pack were repacked");
        CheckReport check = fx.await(() -> VaultChecker.check(repo, true));
        assertTrue(check.ok(), check.errors().toString());
      }
    }
  }

  @Test
  void copyReadsEveryGenerationOfTheSourceAndSealsUnderTheDestinationsNewest() throws IOException {
    Path dest = Files.createDirectories(tmp.resolve("dest"));
    try (EngineFixture fx = EngineFixture.onFiles(tmp);
         VaultStorage destStorage = new FileVaultStorage(fx.vertx, dest)) {
      init(fx).close();
      byte[] a = randomImage(1, 16);
      System.arraycopy(randomImage(3, 4), 0, a, 0, 4 * BLOCK);
      String p0 = fx.backup(write("a.img", a)).recoveryPointId();
      rekey(fx);
      byte[] b = a.clone();
      System.arraycopy(randomImage(2, 8), 0, b, 8 * BLOCK, 8 * BLOCK); // half from generation 0, half from 1
      String p1 = fx.backup(write("b.img", b)).recoveryPointId();

      LocalKeyWrapper destKey = LocalKeyWrapper.create(tmp.resolve("dest.key"));
      fx.await(() -> Repository.init(fx.vertx, destStorage, destKey, SMALL_PACKS)).close();
      KeyGeneration destGeneration;
      try (Repository d = fx.await(() -> Repository.open(fx.vertx, destStorage, destKey))) {
        destGeneration = fx.await(() -> d.rekey(destKey));
      }
      try (Repository src = fx.open();
           Repository d = fx.await(() -> Repository.open(fx.vertx, destStorage, destKey))) {
        fx.await(() -> CopyJob.run(src, d, p1, CopyJob.Options.defaults()));
        for (ObjectInfo o : fx.await(() -> destStorage.list(ObjectKeys.PACKS))) {
          byte[] bytes = fx.await(() -> destStorage.get(o.key()));
          String packId = ObjectKeys.idOf(o.key());
          int trailerAt = bytes.length - PackCodec.TRAILER_BYTES;
          int len = PackCodec.headerLength(packId, Arrays.copyOfRange(bytes, trailerAt, bytes.length));
          for (IndexEntry e : PackCodec.readHeader(d.keys(), packId, Arrays.copyOfRange(bytes, trailerAt - len, trailerAt))) {
            assertEquals(destGeneration.id(), VaultKeys.generationOf(bytes, (int) e.offset(), e.length()));
          }
        }
        Path target = tmp.resolve("copy.img");
        fx.await(() -> d.loadPoint(p1).compose(m -> RestoreJob.run(d, m, target, RestoreJob.Options.defaults())));
        assertArrayEquals(b, Files.readAllBytes(target));
      }
      assertArrayEquals(a, restored(fx, p0));
    }
  }

  @Test
  void aVaultWrittenBeforeRotationExistedReadsUnchangedThenRotates() throws Exception {
    Path fixture = Path.of(getClass().getResource("/fixtures/vault-v1-before-rekey").toURI());
    Path copy = tmp.resolve("old");
    try (Stream<Path> files = Files.walk(fixture)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = copy.resolve(fixture.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    Files.createDirectories(copy.resolve("vault/locks"));
    // the fixture's own master key, in place of the one EngineFixture would make
    Files.copy(copy.resolve("master.key"), tmp.resolve("master.key"));
    try (EngineFixture fx = EngineFixture.onFiles(tmp)) {
      fx.storage.close();
      fx.storage = new FileVaultStorage(fx.vertx, copy.resolve("vault"));
      String oldPoint;
      try (Repository repo = fx.open()) {
        assertEquals(1, repo.keyGenerations().size());
        oldPoint = fx.await(repo::listPoints).get(0);
      }
      byte[] image = restored(fx, oldPoint);
      assertEquals(1_573_264, image.length);
      assertEquals("0c3c844886c02da5c9d1e6a4d622599468f8d5581f0fbb1e32a7fb29fe75cc22",
          HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image)));
      byte[] configBefore = get(fx, ObjectKeys.CONFIG);

      KeyGeneration g1 = rekey(fx);
      BackupResult again = fx.backup(write("same.img", image), null, null);
      assertEquals(0, again.chunksNew(), "chunks stored before the upgrade dedup after the rotation");
      byte[] changed = image.clone();
      for (int i = 0; i < BLOCK; i++) {
        changed[5 * BLOCK + i] ^= (byte) (i * 31 + 7);
      }
      BackupResult next = fx.backup(write("changed.img", changed), null, null);
      assertEquals(1, next.chunksNew());
      byte[] manifest = get(fx, ObjectKeys.point(next.recoveryPointId()));
      assertEquals(g1.id(), ManifestCodec.generationOf(manifest));
      assertArrayEquals(configBefore, get(fx, ObjectKeys.CONFIG), "config is never rewritten");
      assertArrayEquals(image, restored(fx, oldPoint));
      assertArrayEquals(changed, restored(fx, next.recoveryPointId()));
      try (Repository repo = fx.open()) {
        CheckReport check = fx.await(() -> VaultChecker.check(repo, true));
        assertTrue(check.ok(), check.errors().toString());
      }
    }
  }

  @Test
  void rekeyWithAnotherSchemeThanTheOneThatOpenedIsRefused() throws IOException {
    try (EngineFixture fx = EngineFixture.onFiles(tmp)) {
      init(fx).close();
      try (Repository repo = fx.open()) {
        dev.vaultgate.vault.crypto.KeyWrapper other = new dev.vaultgate.vault.crypto.KeyWrapper() {
          // a wrapper of another scheme; only its scheme is read before the refusal
          @Override public String scheme() { return "kms"; }
          @Override public String keyId() { return "arn:aws:kms:us-east-1:000000000000:key/x"; }
          @Override public byte[] wrap(byte[] keyMaterial) { throw new AssertionError("must not be called"); }
          @Override public byte[] unwrap(byte[] wrapped) { throw new AssertionError("must not be called"); }
        };
        Exception e = assertThrows(Exception.class, () -> fx.await(() -> repo.rekey(other)));
        assertTrue(e.getMessage().contains("cannot rekey vault") && e.getMessage().contains("local"), e.getMessage());
      }
      assertTrue(keysUnder(fx, ObjectKeys.KEYS).isEmpty(), "nothing was written");
      try (Repository repo = fx.open()) {
        assertNull(repo.currentKeyGeneration().id());
      }
    }
  }

  @Test
  void aProcessThatOpenedTheVaultBeforeARotationStillSeesTheLocksOfOneAfter() throws IOException {
    try (EngineFixture fx = EngineFixture.onFiles(tmp)) {
      init(fx).close();
      try (Repository before = fx.open()) {
        rekey(fx);
        try (Repository after = fx.open()) {
          dev.vaultgate.vault.repo.VaultLock backup = fx.await(() -> dev.vaultgate.vault.repo.VaultLock.shared(after, "backup"));
          try {
            // gc in the process that does not know the new generation must still see the backup's lock
            dev.vaultgate.vault.repo.VaultBusyException busy = assertThrows(dev.vaultgate.vault.repo.VaultBusyException.class,
                () -> fx.await(() -> dev.vaultgate.vault.repo.VaultLock.exclusive(before, "gc")));
            assertTrue(busy.getMessage().contains("is locked by backup"), busy.getMessage());
          } finally {
            fx.await(backup::release);
          }
        }
      }
    }
  }
}
