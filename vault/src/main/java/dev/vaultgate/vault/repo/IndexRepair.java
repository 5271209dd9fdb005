package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PackCodec;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Brings the index in line with the packs the vault holds (restic's {@code repair index}), both ways.
 *
 * <p>Adopts orphan packs (kopia's recovery of contents from pack headers too): a pack that no index segment names was
 * stored by a run that died (or lost its storage) before the segment naming it was written. Each orphan's sealed
 * header is read with two ranged GETs (trailer, then header), must authenticate under the vault key and describe
 * chunks that lie inside the pack; then index segments name those chunks (as many packs to one segment as a backup's),
 * and the dedup index knows them, so the next backup does not upload them again. An orphan whose header does not
 * verify is left for gc, with the reason. Packs that this process stored and will name are no orphans; those of a
 * backup still running in another process look like orphans and are adopted too (named twice: harmless).
 *
 * <p>Forgets lost packs: a pack that a segment names but that is gone (deleted by hand, lost by the storage; HEAD
 * says so, not the listing alone) made every later backup name its chunks without storing them.
 * {@link Repository#forgetLostPacks} records them and drops them from the index, so that the next backup stores again
 * what its source still holds, which makes the older points that need those chunks whole again too.
 *
 * <p>One LIST of every pack: every backup (a VM's first disk) and every copy runs it first. The caller holds a vault
 * lock (shared is enough: gc, exclusive, cannot run meanwhile, and nothing else deletes packs).
 */
public final class IndexRepair {
  private static final Logger log = LoggerFactory.getLogger(IndexRepair.class);
  private static final int PARALLELISM = 4;

  /**
   * What one repair did: packs adopted and their chunks, bytes read doing it, each orphan refused with why, and the
   * packs found lost with the chunks the index stopped naming.
   */
  public record Report(int packsListed, int orphans, int packsAdopted, long chunksAdopted, long bytesRead,
                       List<String> refused, List<String> packsLost, long chunksLost) {
  }

  private IndexRepair() {
  }

  /**
   * Takes a shared vault lock, brings the index up to date (a pack whose segment another process wrote since the open
   * is no orphan), repairs it ({@link #repair}), releases the lock.
   */
  public static Future<Report> repairIndex(Repository repo, String purpose) {
    return VaultLock.shared(repo, purpose).compose(lock -> repo.refreshIndex().compose(v -> repair(repo))
        .eventually(lock::release));
  }

  /**
   * Adopts every verifiable orphan pack and forgets every lost one; the caller holds a vault lock and has brought the
   * index up to date under it.
   */
  public static Future<Report> repair(Repository repo) {
    Set<String> named = repo.indexedPacks();
    return repo.storage().list(ObjectKeys.PACKS).compose(listed -> {
      List<ObjectInfo> orphans = new ArrayList<>();
      Set<String> unlisted = new HashSet<>();
      repo.packsBySegment().values().forEach(unlisted::addAll);
      for (ObjectInfo o : listed) {
        String id = ObjectKeys.idOf(o.key());
        if (id != null && o.key().equals(ObjectKeys.pack(id))) {
          unlisted.remove(id);
          if (!named.contains(id)) {
            orphans.add(o);
          }
        }
      }
      orphans.sort(Comparator.comparing(ObjectInfo::key)); // ids start with their time: oldest first
      AtomicInteger adopted = new AtomicInteger();
      AtomicLong chunks = new AtomicLong();
      AtomicLong bytesRead = new AtomicLong();
      List<String> refused = Collections.synchronizedList(new ArrayList<>());
      // Chunks forgotten as damaged stay forgotten: a pack all of whose chunks were is an orphan like any other. (A pack
      // found missing that comes back is adopted: its chunks make the points that lost them whole.)
      // Records that cannot be read (null) adopt no orphan: its chunks are uploaded again rather than trusted.
      Future<Set<Repository.ChunkAt>> forgotten = orphans.isEmpty() ? Future.succeededFuture(Set.of())
          : repo.damagedEntries().map(entries -> entries.stream().map(Repository.ChunkAt::of).collect(Collectors.toSet()))
              .otherwise(e -> {
                log.warn("vault {}: records of damaged chunks unreadable, no orphan pack adopted: {}", repo.name(),
                    e.getMessage());
                return null;
              });
      return forgotten.compose(notAgain -> Bounded.forEach(orphans, PARALLELISM, o -> (notAgain == null
          ? Future.<List<IndexEntry>>failedFuture(new CorruptObjectException("the records of damaged chunks cannot be read"))
          : adopt(repo, o, bytesRead))
          .map(entries -> entries.stream().filter(e -> !notAgain.contains(Repository.ChunkAt.of(e))).toList())
          .compose(entries -> entries.isEmpty() ? Future.failedFuture(new CorruptObjectException("every chunk of pack "
              + o.key() + " was found damaged and forgotten")) : Future.succeededFuture(entries))
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
          })))
          .compose(v -> repo.flushIndex()) // the adopted packs' segments
          .compose(v -> lost(repo, unlisted))
          .compose(lost -> (lost.isEmpty() ? Future.succeededFuture(0) : repo.forgetLostPacks(lost))
              .map(lostChunks -> {
                List<String> lostKeys = lost.stream().map(ObjectKeys::pack).sorted().toList();
                if (!lost.isEmpty()) {
                  log.warn("vault {}: {} indexed pack(s) are missing (first {}): the index no longer names their {} chunks;"
                      + " backups store again those their sources still hold", repo.name(), lost.size(), lostKeys.get(0),
                      lostChunks);
                }
                return new Report(listed.size(), orphans.size(), adopted.get(), chunks.get(), bytesRead.get(),
                    List.copyOf(refused), lostKeys, lostChunks);
              }));
    });
  }

  /**
   * The packs of {@code unlisted} (named by a segment, absent from the listing) that a HEAD also finds missing: a
   * listing alone, were it ever incomplete, must not make the index forget a pack.
   */
  private static Future<Set<String>> lost(Repository repo, Set<String> unlisted) {
    Set<String> lost = ConcurrentHashMap.newKeySet();
    return Bounded.forEach(List.copyOf(unlisted), PARALLELISM, id -> repo.storage().stat(ObjectKeys.pack(id))
            .<Void>mapEmpty()
            .recover(e -> {
              if (e instanceof ObjectNotFoundException) {
                lost.add(id);
                return Future.succeededFuture();
              }
              return Future.failedFuture(e);
            }))
        .map(v -> lost);
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
