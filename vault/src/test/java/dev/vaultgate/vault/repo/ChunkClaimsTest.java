package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.crypto.Secrets;
import dev.vaultgate.vault.format.IndexEntry;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkClaimsTest {
  private static IndexEntry stored(byte[] id) {
    return new IndexEntry(id, "0123456789abcdef0123456789abcdef", 0, 100, 100, (byte) 0);
  }

  @Test
  void theFirstClaimWinsUntilItsPackIsStored() {
    try (ChunkIndex index = new ChunkIndex()) {
      ChunkClaims claims = new ChunkClaims(index);
      byte[] id = Secrets.randomBytes(32);
      assertTrue(claims.claim(id), "nobody holds the chunk: the first claim must store it");
      assertFalse(claims.claim(id.clone()), "a claimed chunk is stored by its claimer only");
      index.addAll(List.of(stored(id)));
      claims.release(List.of(stored(id)));
      assertFalse(claims.claim(id), "an indexed chunk is never stored again");
    }
  }

  @Test
  void aReleasedClaimOfAChunkThatWasNotStoredCanBeTakenAgain() {
    try (ChunkIndex index = new ChunkIndex()) {
      ChunkClaims claims = new ChunkClaims(index);
      byte[] id = Secrets.randomBytes(32);
      assertTrue(claims.claim(id));
      claims.release(List.of(stored(id)));
      assertTrue(claims.claim(id), "without a stored copy the chunk must be stored by someone");
    }
  }

  /**
   * Workers claim the same chunks over and over while a storer indexes each claimed chunk and then releases its
   * claim, as an upload does: every chunk must be claimed exactly once. Without the second look at the index, a
   * claim between a worker's first look and its claim stores the chunk again.
   */
  @Test
  void concurrentWorkersStoreEachChunkOnce() throws Exception {
    int chunks = 20_000;
    List<byte[]> ids = new ArrayList<>();
    for (int i = 0; i < chunks; i++) {
      ids.add(Secrets.randomBytes(32));
    }
    try (ChunkIndex index = new ChunkIndex()) {
      ChunkClaims claims = new ChunkClaims(index);
      Map<ByteBuffer, AtomicInteger> won = new ConcurrentHashMap<>();
      LinkedBlockingQueue<byte[]> toStore = new LinkedBlockingQueue<>();
      int workers = 3;
      CountDownLatch done = new CountDownLatch(workers);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        int offset = w * 7;
        Thread worker = new Thread(() -> {
          for (int round = 0; round < 10; round++) {
            for (int i = 0; i < chunks; i++) {
              byte[] id = ids.get((i + offset) % chunks);
              if (claims.claim(id)) {
                won.computeIfAbsent(ByteBuffer.wrap(id), k -> new AtomicInteger()).incrementAndGet();
                toStore.add(id);
              }
            }
          }
          done.countDown();
        });
        worker.start();
        threads.add(worker);
      }
      Thread storer = new Thread(() -> {
        try {
          while (done.getCount() > 0 || !toStore.isEmpty()) {
            byte[] id = toStore.poll(10, TimeUnit.MILLISECONDS);
            if (id != null) {
              index.addAll(List.of(stored(id)));
              claims.release(List.of(stored(id)));
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      storer.start();
      for (Thread t : threads) {
        t.join(60_000);
      }
      storer.join(60_000);
      assertEquals(chunks, won.size(), "every chunk stored");
      for (Map.Entry<ByteBuffer, AtomicInteger> e : won.entrySet()) {
        assertEquals(1, e.getValue().get(), "a chunk was claimed (and so stored) more than once");
      }
    }
  }
}
