package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.format.IndexEntry;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The chunks a vault lost with their packs ({@link IndexRepair}), as a filter over chunk ids: a sorted array of each
 * id's first 8 bytes. A backup that reads only changed extents asks it of every block it would keep from the previous
 * point without reading: such a block whose chunk is lost, and that the index places nowhere else, is read again. A
 * chunk id is an HMAC, so 8 of its bytes tell chunks apart (a false match costs one block read, never data).
 */
public final class LostChunks {
  public static final LostChunks NONE = new LostChunks(new long[0], false);
  /** Any chunk may be lost: what a backup assumes when the records cannot be read (it then looks every chunk up). */
  public static final LostChunks ANY = new LostChunks(new long[0], true);
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final long[] prefixes;
  private final boolean any;

  private LostChunks(long[] prefixes, boolean any) {
    this.prefixes = prefixes;
    this.any = any;
  }

  public static LostChunks of(List<IndexEntry> entries) {
    long[] prefixes = new long[entries.size()];
    for (int i = 0; i < prefixes.length; i++) {
      prefixes[i] = (long) LONGS.get(entries.get(i).chunkId(), 0);
    }
    Arrays.sort(prefixes);
    return new LostChunks(prefixes, false);
  }

  public boolean isEmpty() {
    return prefixes.length == 0 && !any;
  }

  /** Whether the chunk whose id starts at {@code id[off]} may be one of the lost. */
  public boolean mayContain(byte[] id, int off) {
    return any || prefixes.length > 0 && Arrays.binarySearch(prefixes, (long) LONGS.get(id, off)) >= 0;
  }
}
