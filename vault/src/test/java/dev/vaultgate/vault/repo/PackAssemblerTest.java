package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.Secrets;
import dev.vaultgate.vault.crypto.VaultKeys;
import dev.vaultgate.vault.format.ChunkBlob;
import dev.vaultgate.vault.format.ChunkEncoding;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectIds;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PackCodec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackAssemblerTest {
  private static final int MIB = 1 << 20;

  private final VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());

  /** A chunk sealed as the backup seals it. */
  private record Chunk(byte[] data, byte[] id, byte encoding, byte[] blob) {
  }

  private Chunk chunk(Random random, int size) {
    byte[] data = new byte[size];
    random.nextBytes(data);
    if (random.nextBoolean()) {
      Arrays.fill(data, size / 4, size, (byte) 0); // compressible
    }
    byte[] id = keys.chunkId(data, 0, size);
    ChunkEncoding.Encoded encoded = ChunkEncoding.encode(data, 0, size);
    return new Chunk(data, id, encoded.encoding(), ChunkBlob.seal(keys, id, encoded));
  }

  private SealedPack add(PackAssembler assembler, Chunk c) {
    return assembler.add(c.id(), c.encoding(), c.data().length, c.blob());
  }

  /** Checks the pack's layout: blobs back to back from offset 0, each opening to its chunk, then header and trailer. */
  private void assertWellFormed(SealedPack pack, Map<String, Chunk> chunksById) {
    byte[] bytes = Arrays.copyOf(pack.bytes(), pack.length()); // the object as it is stored
    int offset = 0;
    for (IndexEntry e : pack.entries()) {
      assertEquals(pack.packId(), e.packId());
      assertEquals(offset, e.offset(), "blobs lie back to back");
      Chunk c = chunksById.get(key(e.chunkId()));
      assertNotNull(c, "unknown chunk in pack");
      assertEquals(c.data().length, e.rawLength());
      assertEquals(c.encoding(), e.encoding());
      if (c.blob() != null) { // sealed elsewhere and added: moved as it is
        assertEquals(c.blob().length, e.length());
        assertArrayEquals(c.blob(), Arrays.copyOfRange(bytes, e.offset(), e.offset() + e.length()));
      }
      assertArrayEquals(c.data(), ChunkBlob.open(keys, e, bytes, e.offset()));
      offset += e.length();
    }
    int headerLength = PackCodec.headerLength(pack.packId(),
        Arrays.copyOfRange(bytes, bytes.length - PackCodec.TRAILER_BYTES, bytes.length));
    assertEquals(bytes.length, offset + headerLength + PackCodec.TRAILER_BYTES);
    List<IndexEntry> header = PackCodec.readHeader(keys, pack.packId(),
        Arrays.copyOfRange(bytes, offset, offset + headerLength));
    assertEquals(pack.entries().size(), header.size());
    for (int i = 0; i < header.size(); i++) {
      assertArrayEquals(pack.entries().get(i).chunkId(), header.get(i).chunkId());
      assertEquals(pack.entries().get(i).offset(), header.get(i).offset());
      assertEquals(pack.entries().get(i).length(), header.get(i).length());
    }
  }

  /** A chunk the assembler is to seal itself ({@link PackAssembler#seal}): no blob of its own. */
  private Chunk unsealed(Random random, int size) {
    Chunk c = chunk(random, size);
    return new Chunk(c.data(), c.id(), c.encoding(), null);
  }

  private SealedPack seal(PackAssembler assembler, Chunk c) {
    return assembler.seal(c.id(), ChunkEncoding.encode(c.data(), 0, c.data().length), c.data().length);
  }

  private static String key(byte[] id) {
    return HexFormat.of().formatHex(id);
  }

  @Test
  void packIsReturnedOnceTheTargetSizeIsReached() {
    PackAssembler assembler = new PackAssembler(keys, MIB);
    Random random = new Random(1);
    Map<String, Chunk> byId = new HashMap<>();
    int added = 0;
    int bytes = 0;
    SealedPack pack = null;
    while (pack == null) {
      Chunk c = chunk(random, 100 * 1024);
      byId.put(key(c.id()), c);
      bytes += c.blob().length;
      pack = add(assembler, c);
      added++;
      if (pack == null) {
        assertTrue(bytes < MIB, "no pack returned at " + bytes + " bytes");
      }
    }
    assertTrue(bytes >= MIB);
    assertEquals(added, pack.entries().size());
    assertTrue(ObjectKeys.isId(pack.packId()));
    assertWellFormed(pack, byId);
    assertNull(assembler.flush(), "a returned pack is not returned again");
  }

  @Test
  void flushReturnsWhatIsLeftInANewPack() {
    PackAssembler assembler = new PackAssembler(keys, MIB);
    Random random = new Random(2);
    Map<String, Chunk> byId = new HashMap<>();
    assertNull(assembler.flush());
    SealedPack full = null;
    for (int i = 0; i < 14; i++) {
      Chunk c = chunk(random, 100 * 1024);
      byId.put(key(c.id()), c);
      SealedPack p = add(assembler, c);
      if (p != null) {
        assertNull(full, "two packs from 1.4 MiB");
        full = p;
      }
    }
    assertNotNull(full);
    SealedPack rest = assembler.flush();
    assertNotNull(rest);
    assertNotEquals(full.packId(), rest.packId());
    assertEquals(14, full.entries().size() + rest.entries().size());
    assertWellFormed(full, byId);
    assertWellFormed(rest, byId);
    assertNull(assembler.flush());
  }

  @Test
  void chunksSealedInPlaceLieBesideAddedBlobsAndOpenToTheirPlaintext() {
    PackAssembler assembler = new PackAssembler(keys, MIB);
    Random random = new Random(4);
    Map<String, Chunk> byId = new HashMap<>();
    List<SealedPack> packs = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      Chunk c = i % 3 == 0 ? chunk(random, 64 * 1024) : unsealed(random, 64 * 1024);
      byId.put(key(c.id()), c);
      SealedPack p = c.blob() != null ? add(assembler, c) : seal(assembler, c);
      if (p != null) {
        packs.add(p);
      }
    }
    SealedPack rest = assembler.flush();
    if (rest != null) {
      packs.add(rest);
    }
    assertTrue(packs.size() >= 2, "30 chunks of 64 KiB, about half compressible, fill more than a pack of 1 MiB");
    for (SealedPack p : packs) {
      assertWellFormed(p, byId);
    }
    assertEquals(30, packs.stream().mapToInt(p -> p.entries().size()).sum());
  }

  @Test
  void aPackKeepsItsBytesWhileTheAssemblerFillsTheNextOne() {
    PackAssembler assembler = new PackAssembler(keys, MIB);
    Random random = new Random(5);
    Map<String, Chunk> byId = new HashMap<>();
    SealedPack first = null;
    while (first == null) {
      Chunk c = unsealed(random, 100 * 1024);
      byId.put(key(c.id()), c);
      first = seal(assembler, c);
    }
    byte[] before = Arrays.copyOf(first.bytes(), first.length());
    SealedPack second = null;
    while (second == null) {
      Chunk c = unsealed(random, 100 * 1024);
      byId.put(key(c.id()), c);
      second = seal(assembler, c);
    }
    assertArrayEquals(before, Arrays.copyOf(first.bytes(), first.length()), "the next pack was built over one not released");
    assertWellFormed(first, byId);
    assertWellFormed(second, byId);
  }

  @Test
  void aReleasedPackLendsItsBufferToALaterPackOnlyOnce() {
    PackAssembler assembler = new PackAssembler(keys, MIB);
    Random random = new Random(7);
    List<SealedPack> packs = new ArrayList<>();
    while (packs.size() < 4) {
      SealedPack p = seal(assembler, unsealed(random, 100 * 1024));
      if (p != null) {
        packs.add(p);
        if (packs.size() == 1) {
          p.release();
          p.release(); // twice: still lent to one pack only
        }
      }
    }
    // The second pack was begun when the first was sealed, before its release: the third gets the first's buffer.
    assertSame(packs.get(0).bytes(), packs.get(2).bytes(), "the released buffer is used again");
    assertNotSame(packs.get(0).bytes(), packs.get(1).bytes());
    assertNotSame(packs.get(1).bytes(), packs.get(3).bytes(), "a pack not released keeps its buffer");
    assertNotSame(packs.get(0).bytes(), packs.get(3).bytes(), "a buffer released twice went to two packs");
  }

  @Test
  void afterARotationChunksSealedInPlaceNameTheirGeneration() {
    VaultKeys rotated = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    String generation = ObjectIds.newId();
    rotated.addGeneration(generation, Secrets.randomBytes(VaultKeys.DATA_KEY_BYTES));
    PackAssembler assembler = new PackAssembler(rotated, MIB);
    byte[] data = new byte[64 * 1024];
    new Random(6).nextBytes(data);
    byte[] id = rotated.chunkId(data, 0, data.length);
    assembler.seal(id, ChunkEncoding.encode(data, 0, data.length), data.length);
    SealedPack pack = assembler.flush();
    IndexEntry e = pack.entries().get(0);
    assertEquals(generation, VaultKeys.generationOf(pack.bytes(), e.offset(), e.length()));
    assertArrayEquals(data, ChunkBlob.open(rotated, e, pack.bytes(), e.offset()));
  }

  @Test
  void blobLargerThanTheTargetMakesAPackOfItsOwn() {
    PackAssembler assembler = new PackAssembler(keys, MIB);
    Chunk big = chunk(new Random(3), 2 * MIB);
    SealedPack pack = add(assembler, big);
    assertNotNull(pack);
    assertEquals(1, pack.entries().size());
    assertWellFormed(pack, Map.of(key(big.id()), big));
  }

  @Test
  void concurrentAddsLoseNothing() throws Exception {
    PackAssembler assembler = new PackAssembler(keys, MIB);
    int threads = 8;
    int perThread = 300;
    Map<String, Chunk> byId = Collections.synchronizedMap(new HashMap<>());
    List<SealedPack> packs = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long seed = t;
        futures.add(pool.submit(() -> {
          Random random = new Random(seed);
          for (int i = 0; i < perThread; i++) {
            Chunk c = chunk(random, 1024 + random.nextInt(8 * 1024));
            byId.put(key(c.id()), c);
            SealedPack p = add(assembler, c);
            if (p != null) {
              packs.add(p);
            }
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get(20, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    SealedPack rest = assembler.flush();
    if (rest != null) {
      packs.add(rest);
    }
    assertTrue(packs.size() > 1, "expected several packs, got " + packs.size());
    int chunks = packs.stream().mapToInt(p -> p.entries().size()).sum();
    assertEquals(threads * perThread, chunks);
    Set<String> seen = new HashSet<>();
    Set<String> packIds = new HashSet<>();
    for (SealedPack p : packs) {
      assertTrue(packIds.add(p.packId()), "pack id reused");
      assertWellFormed(p, byId);
      for (IndexEntry e : p.entries()) {
        assertTrue(seen.add(key(e.chunkId())), "chunk in two packs");
      }
    }
    assertEquals(byId.keySet(), seen);
  }
}
