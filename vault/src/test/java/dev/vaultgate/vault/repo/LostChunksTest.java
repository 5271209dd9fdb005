package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.ChunkEncoding;
import dev.vaultgate.vault.format.IndexEntry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The filter a changed-extents backup asks of each block it would keep unread: lost chunks match, others do not. */
class LostChunksTest {
  private static final String PACK = "01a2101253591364265f2b959ac54e81";

  private static byte[] id(Random random) {
    byte[] id = new byte[32];
    random.nextBytes(id);
    return id;
  }

  @Test
  void lostIdsMatchWhereverTheyLieAndOthersDoNot() {
    Random random = new Random(9);
    List<IndexEntry> lost = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      lost.add(new IndexEntry(id(random), PACK, i * 100, 100, 65536, ChunkEncoding.RAW));
    }
    LostChunks chunks = LostChunks.of(lost);
    assertFalse(chunks.isEmpty());
    for (IndexEntry e : lost) {
      byte[] at = new byte[40];
      System.arraycopy(e.chunkId(), 0, at, 8, 32);
      assertTrue(chunks.mayContain(at, 8));
    }
    for (int i = 0; i < 10_000; i++) {
      assertFalse(chunks.mayContain(id(random), 0), "an id that was not lost");
    }
  }

  @Test
  void noneMatchesNothingAndAnyMatchesEverything() {
    byte[] some = id(new Random(1));
    assertTrue(LostChunks.NONE.isEmpty());
    assertFalse(LostChunks.NONE.mayContain(some, 0));
    assertFalse(LostChunks.ANY.isEmpty());
    assertTrue(LostChunks.ANY.mayContain(some, 0));
    assertTrue(LostChunks.of(List.of()).isEmpty());
  }
}
