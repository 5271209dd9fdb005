package dev.vaultgate.vault.maintenance;

import dev.vaultgate.vault.backup.Progress;
import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.format.ChunkBlob;
import dev.vaultgate.vault.format.CorruptObjectException;
import dev.vaultgate.vault.format.DiskBlocks;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.format.ObjectKeys;
import dev.vaultgate.vault.format.PointReferences;
import dev.vaultgate.vault.format.PackCodec;
import dev.vaultgate.vault.repo.Bounded;
import dev.vaultgate.vault.repo.ChunkIndex;
import dev.vaultgate.vault.repo.LostChunks;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultLock;
import dev.vaultgate.vault.storage.ObjectInfo;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import io.vertx.core.Future;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks a vault's structure: every chunk of every recovery point is indexed, every indexed chunk lies
 * within a stored pack. With {@code readData}, also reads every pack and authenticates every chunk and the
 * pack header against the index. In a locked vault, also that every object a recovery point needs is retained
 * (and held) at least as long as the point ({@link RetentionCheck}). Findings name the object.
 */
public final class VaultChecker {
  private static final int PACK_READ_PARALLELISM = 4;

  private VaultChecker() {
  }

  /**
   * Checks under a shared vault lock: a gc (exclusive) deletes and repacks packs and index segments, and one running
   * during a check would make what it moved look missing. A gc running already makes the check fail at once, naming it.
   */
  public static Future<CheckReport> check(Repository repo, boolean readData) {
    return check(repo, readData, Progress.NONE);
  }

  /** {@link #check(Repository, boolean)}, telling {@code progress} the pack bytes read so far with {@code readData}. */
  public static Future<CheckReport> check(Repository repo, boolean readData, Progress progress) {
    return VaultLock.shared(repo, "check").compose(lock -> checkWithoutLock(repo, readData, progress).eventually(lock::release));
  }

  /**
   * {@link #check} without a vault lock, for credentials that can only read the vault: a gc running meanwhile can make
   * packs or chunks it moved be reported missing (the check, run again, tells).
   */
  public static Future<CheckReport> checkWithoutLock(Repository repo, boolean readData, Progress progress) {
    // The points are listed first, then the index is brought up to date: a point's segments are written before its
    // manifest, so the index then names the chunks of every listed point, even in a repository opened before some of
    // them were made (which would otherwise be reported as needing chunks that are not indexed).
    return repo.listPoints().compose(ids -> repo.refreshIndex().compose(v -> check(repo, ids, readData, progress)));
  }

  /** The bytes a check with read-data reads: every stored pack that the index names. */
  private static long indexedPackBytes(Map<String, PackEntries> byPack, Map<String, Long> packSizes) {
    return byPack.keySet().stream().mapToLong(id -> packSizes.getOrDefault(id, 0L)).sum();
  }

  /** The numbers of a pack's index entries ({@link ChunkIndex#entryNumber}): 4 bytes a chunk, not an entry each. */
  private static final class PackEntries {
    private int[] numbers = new int[8];
    private int count;

    void add(int e) {
      if (count == numbers.length) {
        numbers = Arrays.copyOf(numbers, count * 2);
      }
      numbers[count++] = e;
    }

    List<IndexEntry> entries(ChunkIndex index) {
      List<IndexEntry> entries = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        entries.add(index.entryAt(numbers[i]));
      }
      return entries;
    }
  }

  /** The index's entries by pack, as entry numbers. */
  private static Map<String, PackEntries> byPack(ChunkIndex index, int chunks) {
    Map<String, PackEntries> byPack = new HashMap<>();
    for (int e = 0; e < chunks; e++) {
      byPack.computeIfAbsent(index.packIdAt(e), k -> new PackEntries()).add(e);
    }
    return byPack;
  }

  private static Future<CheckReport> check(Repository repo, List<String> pointIds, boolean readData, Progress progress) {
    List<String> errors = Collections.synchronizedList(new ArrayList<>());
    List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    List<IndexEntry> damaged = Collections.synchronizedList(new ArrayList<>());
    AtomicLong verified = new AtomicLong();
    ChunkIndex index = repo.index();
    int chunks = index.size();
    int[] pointCount = {0};
    LostChunks[] lost = {LostChunks.NONE};
    // Chunks a repair forgot with their packs: a point that needs one is told apart from other damage.
    Future<LostChunks> lostChunks = repo.lostChunks().recover(e -> {
      warnings.add("cannot read the records of lost chunks: " + e.getMessage());
      return Future.succeededFuture(LostChunks.NONE);
    });
    return Future.all(repo.onCpu(() -> byPack(index, chunks)), repo.storage().list(ObjectKeys.PACKS), lostChunks).compose(both -> {
      Map<String, PackEntries> byPack = both.resultAt(0);
      List<ObjectInfo> packObjects = both.resultAt(1);
      lost[0] = both.resultAt(2);
      return repo.onCpu(() -> packSizes(index, byPack, packObjects, errors, warnings)).map(packSizes -> Map.entry(byPack, packSizes));
    }).compose(indexed -> {
      Map<String, PackEntries> byPack = indexed.getKey();
      Map<String, Long> packSizes = indexed.getValue();
      long toRead = indexedPackBytes(byPack, packSizes);
      return Bounded.forEach(pointIds, 4, id -> repo.loadPoint(id)
          .compose(m -> repo.onCpu(() -> {
            synchronized (pointCount) {
              pointCount[0]++;
            }
            checkPoint(repo, m, lost[0], errors);
            return m;
          }))
          .compose(m -> checkReferences(repo, m, warnings))
          .recover(e -> finding(e, errors, e.getMessage())))
          .compose(v -> repo.config().settings().locked() ? RetentionCheck.run(repo, errors) : Future.succeededFuture())
          .compose(v -> !readData ? Future.succeededFuture() : Bounded.forEach(new ArrayList<>(byPack.keySet()),
              PACK_READ_PARALLELISM, packId -> !packSizes.containsKey(packId) ? Future.succeededFuture()
                  : repo.storage().get(ObjectKeys.pack(packId))
                  .compose(bytes -> repo.onCpu(() -> {
                    verifyPack(repo, packId, bytes, byPack.get(packId).entries(index), errors, damaged);
                    return verified.addAndGet(bytes.length);
                  }))
                  .onSuccess(read -> progress.update(verified.get(), toRead)) // all read so far: told in order
                  .recover(e -> finding(e, errors, "cannot read pack " + ObjectKeys.pack(packId) + ": " + e.getMessage()))))
          .map(v -> new CheckReport(pointCount[0], packSizes.size(), chunks, verified.get(), List.copyOf(errors),
              List.copyOf(warnings), List.copyOf(damaged)));
    });
  }

  /**
   * Records {@code message} as an error of the vault, unless {@code e} says that this JVM, not the vault, failed (out of
   * heap): that ends the check in the command's one line instead of reporting sound objects as unreadable.
   */
  static <T> Future<T> finding(Throwable e, List<String> errors, String message) {
    if (e instanceof VirtualMachineError) {
      return Future.failedFuture(e);
    }
    errors.add(message);
    return Future.succeededFuture();
  }

  /**
   * The stored packs' sizes, with the errors of packs the index names that are missing or too short for its entries,
   * and warnings for objects under packs/ that are not ours or not indexed.
   */
  private static Map<String, Long> packSizes(ChunkIndex index, Map<String, PackEntries> byPack, List<ObjectInfo> packObjects,
      List<String> errors, List<String> warnings) {
    Map<String, Long> packSizes = new HashMap<>();
    for (ObjectInfo o : packObjects) {
      String id = ObjectKeys.idOf(o.key());
      if (id == null) {
        warnings.add("unknown object " + o.key() + " under packs/");
      } else {
        packSizes.put(id, o.size());
      }
    }
    for (Map.Entry<String, PackEntries> p : byPack.entrySet()) {
      Long size = packSizes.get(p.getKey());
      if (size == null) {
        errors.add("pack " + ObjectKeys.pack(p.getKey()) + " is indexed but missing (" + p.getValue().count + " chunks;"
            + " the next backup, or 'vaultgate vault repair-index', makes the index forget it, and backups then store"
            + " again what their sources still hold)");
        continue;
      }
      for (IndexEntry e : p.getValue().entries(index)) {
        if ((long) e.offset() + e.length() > size - PackCodec.TRAILER_BYTES) {
          errors.add("pack " + ObjectKeys.pack(p.getKey()) + " is truncated: chunk at offset " + e.offset() + " ends past its "
              + size + " bytes");
        }
      }
    }
    for (String id : packSizes.keySet()) {
      if (!byPack.containsKey(id)) {
        warnings.add("pack " + ObjectKeys.pack(id) + " is not indexed (left by an interrupted backup or gc; gc removes it)");
      }
    }
    return packSizes;
  }

  /**
   * The point's keyless reference list against what its sealed manifest and the index say it needs: what the list
   * misses, the coordinator's lifecycle (retention extensions, cold moves) would miss. Warnings: the point itself
   * restores either way, and gc rewrites the list.
   */
  private static Future<Void> checkReferences(Repository repo, Manifest m, List<String> warnings) {
    String key = ObjectKeys.refs(m.id());
    return repo.storage().get(key).compose(bytes -> repo.onCpu(() -> {
      java.util.Set<String> listed = PointReferences.decode(m.id(), bytes).objects();
      java.util.Set<String> missing = new java.util.TreeSet<>(repo.referencedObjects(m));
      missing.removeAll(listed);
      // A list names the data-key generations that existed when it was written; one made after the point is needed
      // only once gc repacks the point's chunks, and gc then rewrites the list.
      missing.removeIf(k -> k.startsWith(ObjectKeys.KEYS) && k.substring(ObjectKeys.KEYS.length()).compareTo(m.id()) > 0);
      if (!missing.isEmpty()) {
        warnings.add(key + " does not name " + missing.size() + " object(s) the point needs (first "
            + missing.iterator().next() + "): the coordinator's storage lifecycle would miss them; 'vaultgate vault gc'"
            + " rewrites the list");
      }
      return (Void) null;
    })).recover(e -> {
      warnings.add(e instanceof ObjectNotFoundException
          ? "recovery point " + m.id() + " has no reference list " + key + " (written before lists existed; 'vaultgate vault gc' writes one)"
          : "cannot read " + key + ": " + e.getMessage());
      return Future.succeededFuture();
    });
  }

  private static void checkPoint(Repository repo, Manifest m, LostChunks lost, List<String> errors) {
    for (DiskBlocks d : m.disks()) {
      int missing = 0;
      int lostWithPacks = 0;
      String first = null;
      for (int i = 0; i < d.entryCount(); i++) {
        byte[] id = d.chunkIdAt(i);
        if (!repo.index().contains(id, 0)) {
          missing++;
          if (lost.mayContain(id, 0)) {
            lostWithPacks++;
          }
          if (first == null) {
            first = HexFormat.of().formatHex(id, 0, 8);
          }
        }
      }
      if (missing > 0) {
        errors.add("recovery point " + m.id() + " disk " + d.name() + ": " + missing + " chunks are in no index segment (first "
            + first + "...)" + (lostWithPacks == 0 ? "" : "; " + lostWithPacks + " of them were lost with their packs"
            + " or found damaged (index/*.lost, *.damaged): a backup of the disk stores again those it still holds, which"
            + " makes this point whole again if it holds them all; 'vaultgate restore --skip-damaged' restores the rest"));
      }
    }
  }

  private static void verifyPack(Repository repo, String packId, byte[] bytes, List<IndexEntry> indexed, List<String> errors,
                                 List<IndexEntry> damaged) {
    String key = ObjectKeys.pack(packId);
    List<IndexEntry> header;
    try {
      int trailerAt = bytes.length - PackCodec.TRAILER_BYTES;
      if (trailerAt < 0) {
        throw new CorruptObjectException("pack " + packId + " is shorter than its trailer");
      }
      int len = PackCodec.headerLength(packId, Arrays.copyOfRange(bytes, trailerAt, bytes.length));
      if (len > trailerAt) {
        throw new CorruptObjectException("pack " + packId + " header length " + len + " exceeds the pack");
      }
      header = PackCodec.readHeader(repo.keys(), packId, Arrays.copyOfRange(bytes, trailerAt - len, trailerAt));
    } catch (CorruptObjectException e) {
      errors.add("pack " + key + ": " + e.getMessage());
      header = List.of();
    }
    Map<ByteBuffer, IndexEntry> inHeader = new HashMap<>();
    for (IndexEntry e : header) {
      inHeader.put(ByteBuffer.wrap(e.chunkId()), e);
    }
    for (IndexEntry e : indexed) {
      IndexEntry h = inHeader.get(ByteBuffer.wrap(e.chunkId()));
      if (!header.isEmpty() && (h == null || h.offset() != e.offset() || h.length() != e.length())) {
        errors.add("pack " + key + ": its header disagrees with the index about the chunk at offset " + e.offset());
      }
      if ((long) e.offset() + e.length() > bytes.length) {
        damaged.add(e); // the pack is reported as truncated
        continue;
      }
      try {
        ChunkBlob.open(repo.keys(), e, bytes, e.offset());
      } catch (TamperedDataException ex) {
        damaged.add(e);
        errors.add("pack " + key + ": chunk at offset " + e.offset() + " is damaged (" + ex.getMessage() + "; 'vaultgate"
            + " vault check --read-data --repair-index' makes the index forget it, and backups then store it again)");
      }
    }
  }
}
