package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PackCodec;
import dev.vaultgate.vault.storage.ObjectInfo;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Adopts orphan packs (restic's {@code repair index}, kopia's recovery of contents from pack headers): a pack that
 * no index segment names was stored by a run that died (or lost its storage) before the segment naming it was
 * written. Each orphan's sealed header is read with two ranged GETs (trailer, then header), must authenticate under the
 * vault key and describe chunks that lie inside the pack; then index segments name those chunks (as many packs to one
 * segment as a backup's), and the dedup index knows them, so the next backup does not upload them again. An orphan
 * whose header does not verify is left for gc, with the reason. One LIST of every pack: every backup (a VM's first
 * disk) and every copy runs it first. Packs that this process stored and will name are no orphans; those of a
 * backup still running in another process look like orphans and are adopted too (named twice: harmless). The caller
 * holds a vault lock (shared is enough: adoption only adds segments; gc, exclusive, cannot run meanwhile).
 */
public final class IndexRepair {
  private static final Logger log = LoggerFactory.getLogger(IndexRepair.class);
  private static final int PARALLELISM = 4;

  /** What one repair did: packs adopted and their chunks, bytes read doing it, and each orphan refused, with why. */
  public record Report(int packsListed, int orphans, int packsAdopted, long chunksAdopted, long bytesRead,
                       List<String> refused) {
  }

  private IndexRepair() {
  }

  /**
   * Takes a shared vault lock, brings the index up to date (a pack whose segment another process wrote since the open
   * is no orphan), adopts every verifiable orphan pack, releases the lock.
   */
  public static Future<Report> repairIndex(Repository repo, String purpose) {
    return VaultLock.shared(repo, purpose).compose(lock -> repo.refreshIndex().compose(v -> adoptOrphanPacks(repo))
        .eventually(lock::release));
  }

  /** Adopts every verifiable orphan pack; the caller holds a vault lock and has brought the index up to date under it. */
  public static Future<Report> adoptOrphanPacks(Repository repo) {
    Set<String> named = repo.indexedPacks();
    return repo.storage().list(ObjectKeys.PACKS).compose(listed -> {
      List<ObjectInfo> orphans = new ArrayList<>();
      for (ObjectInfo o : listed) {
        String id = ObjectKeys.idOf(o.key());
        if (id != null && !named.contains(id) && o.key().equals(ObjectKeys.pack(id))) {
          orphans.add(o);
        }
      }
      orphans.sort(Comparator.comparing(ObjectInfo::key)); // ids start with their time: oldest first
      AtomicInteger adopted = new AtomicInteger();
      AtomicLong chunks = new AtomicLong();
      AtomicLong bytesRead = new AtomicLong();
      List<String> refused = Collections.synchronizedList(new ArrayList<>());
      return Bounded.forEach(orphans, PARALLELISM, o -> adopt(repo, o, bytesRead)
          .compose(entries -> {
            repo.indexPack(ObjectKeys.idOf(o.key()), entries, null);
            adopted.incrementAndGet();
            chunks.addAndGet(entries.size());
            log.info("vault {}: adopted orphan pack {} ({} chunks)", repo.name(), o.key(), entries.size());
            return Future.<Void>succeededFuture();
          }, e -> {
            if (!(e instanceof CorruptObjectException)) {
              return Future.failedFuture(e); // storage trouble: the repair fails rather than skip a good pack
            }
            refused.add(e.getMessage());
            log.warn("vault {}: orphan pack {} not adopted, left for gc: {}", repo.name(), o.key(), e.getMessage());
            return Future.succeededFuture();
          }))
          .compose(v -> repo.flushIndex()) // the adopted packs' segments
          .map(v -> new Report(listed.size(), orphans.size(), adopted.get(), chunks.get(), bytesRead.get(),
              List.copyOf(refused)));
    });
  }

  /** The verified entries of one orphan's header; fails with {@link CorruptObjectException} when it does not verify. */
  private static Future<List<IndexEntry>> adopt(Repository repo, ObjectInfo pack, AtomicLong bytesRead) {
    String packId = ObjectKeys.idOf(pack.key());
    long size = pack.size();
    if (size < PackCodec.TRAILER_BYTES) {
      return Future.failedFuture(new CorruptObjectException("pack " + pack.key() + " is shorter (" + size
          + " bytes) than its trailer"));
    }
    return repo.storage().getRange(pack.key(), size - PackCodec.TRAILER_BYTES, PackCodec.TRAILER_BYTES)
        .compose(trailer -> {
          bytesRead.addAndGet(trailer.length);
          int length;
          try {
            length = PackCodec.headerLength(packId, trailer);
          } catch (CorruptObjectException e) {
            return Future.failedFuture(e);
          }
          long headerAt = size - PackCodec.TRAILER_BYTES - length;
          if (headerAt < 0) {
            return Future.failedFuture(new CorruptObjectException("pack " + pack.key() + ": header length " + length
                + " exceeds its " + size + " bytes"));
          }
          return repo.storage().getRange(pack.key(), headerAt, length).compose(header -> {
            bytesRead.addAndGet(header.length);
            return repo.onCpu(() -> verifiedEntries(repo, packId, header, headerAt));
          });
        });
  }

  /**
   * Opens the header (GCM under the vault key, AAD naming this pack) and checks that its chunks lie inside the blob
   * area without overlapping; {@code blobsEnd} is where the header starts.
   */
  static List<IndexEntry> verifiedEntries(Repository repo, String packId, byte[] sealedHeader, long blobsEnd) {
    List<IndexEntry> entries = PackCodec.readHeader(repo.keys(), packId, sealedHeader);
    if (entries.isEmpty()) {
      throw new CorruptObjectException("pack " + ObjectKeys.pack(packId) + ": its header lists no chunks");
    }
    List<IndexEntry> byOffset = new ArrayList<>(entries);
    byOffset.sort(Comparator.comparingInt(IndexEntry::offset));
    long end = 0;
    for (IndexEntry e : byOffset) {
      if (e.offset() < end || e.length() <= 0 || (long) e.offset() + e.length() > blobsEnd) {
        throw new CorruptObjectException("pack " + ObjectKeys.pack(packId) + ": its header places a chunk at offset "
            + e.offset() + " (+" + e.length() + ") outside the pack's " + blobsEnd + " bytes of chunks or over another");
      }
      end = (long) e.offset() + e.length();
    }
    return entries;
  }
}
