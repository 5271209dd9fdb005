package dev.vaultgate.vault.crypto;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The secret keys of one vault, derived from 64 bytes of key material that the master key wraps:
 * the AES-256 data key that seals every object, the HMAC-SHA256 key that names chunks, and the seed
 * of the block fingerprint. Thread-safe.
 *
 * <p>Data-key generations: the data key of the material is generation 0, and each rotation ({@code vault rekey})
 * adds a newer random AES-256 key ({@link #addGeneration}), stored as its own object {@code keys/<id>}. The id key and
 * the fingerprint seed never change, so chunk ids (and dedup) stay the same across rotations. Sealing uses the newest
 * generation; what generation 0 seals is exactly the format of vaults made before rotations existed (nonce ‖
 * ciphertext ‖ tag), and what a later generation seals starts with an envelope naming it: {@code "VGE1"} ‖ the
 * generation's 16-byte id ‖ nonce ‖ ciphertext ‖ tag. Opening reads the envelope and takes that generation's key. An
 * old object whose random nonce happens to start with the magic (odds 2^-32) still opens: when the envelope's key
 * fails, generation 0 is tried on the whole object.
 */
public final class VaultKeys {
  public static final int MATERIAL_BYTES = 64;
  public static final int CHUNK_ID_BYTES = 32;
  public static final int DATA_KEY_BYTES = 32;
  public static final int GENERATION_ID_BYTES = 16;
  /** "VGE1": the magic of the envelope a sealed object of a rotated generation starts with. */
  private static final byte[] ENVELOPE_MAGIC = {'V', 'G', 'E', '1'};
  public static final int ENVELOPE_BYTES = ENVELOPE_MAGIC.length + GENERATION_ID_BYTES;
  /** The most sealing adds, whichever generation seals: room to leave before a rotation is seen. */
  public static final int MAX_SEALED_OVERHEAD = ENVELOPE_BYTES + Aead.OVERHEAD;

  /** A data key after rotation: its id (32 hex digits, the name of {@code keys/<id>}) and key. */
  private record Generation(String id, byte[] envelope, SecretKeySpec key) {
  }

  private final SecretKeySpec dataKey;
  /** Generations added after 0, oldest first; replaced whole (copy on write), read without locking. */
  private volatile Generation[] generations = new Generation[0];
  /** What seals: the newest generation, or null for generation 0. */
  private volatile Generation newest;
  private final SecretKeySpec idKey;
  private final long[] fingerprintSeed;
  private final ThreadLocal<Mac> idMac;

  private VaultKeys(byte[] material) {
    if (material.length != MATERIAL_BYTES) {
      throw new IllegalArgumentException("vault key material must be " + MATERIAL_BYTES + " bytes");
    }
    this.dataKey = new SecretKeySpec(Arrays.copyOfRange(material, 0, 32), "AES");
    this.idKey = new SecretKeySpec(Arrays.copyOfRange(material, 32, 64), "HmacSHA256");
    this.idMac = ThreadLocal.withInitial(() -> newMac(idKey));
    ByteBuffer seed = ByteBuffer.wrap(mac("vaultgate block fingerprint seed".getBytes(StandardCharsets.US_ASCII)));
    this.fingerprintSeed = new long[] {seed.getLong(), seed.getLong(), seed.getLong(), seed.getLong()};
  }

  public static VaultKeys fromMaterial(byte[] material) {
    return new VaultKeys(material);
  }

  public static byte[] newMaterial() {
    return Secrets.randomBytes(MATERIAL_BYTES);
  }

  private static Mac newMac(SecretKeySpec key) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(key);
      return m;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  }

  /** The chunk id of {@code data[off, off+len)}: HMAC-SHA256 under the vault's id key. */
  public byte[] chunkId(byte[] data, int off, int len) {
    Mac m = idMac.get();
    m.update(data, off, len);
    return m.doFinal();
  }

  /** Writes the chunk id of {@code data[off, off+len)} to {@code out[outOff, outOff+32)}, reusing this thread's Mac. */
  public void chunkIdInto(byte[] data, int off, int len, byte[] out, int outOff) {
    Mac m = idMac.get();
    m.update(data, off, len);
    try {
      m.doFinal(out, outOff);
    } catch (javax.crypto.ShortBufferException e) {
      throw new IllegalArgumentException("no room for a chunk id at " + outOff + " of " + out.length, e);
    }
  }

  public byte[] mac(byte[] data) {
    return chunkId(data, 0, data.length);
  }

  /**
   * Adds a data-key generation (its object {@code keys/<id>} already authenticated by the caller). The newest by id
   * (ids begin with their creation time) seals from now on; adding one twice changes nothing.
   */
  public synchronized void addGeneration(String id, byte[] dataKeyBytes) {
    if (dataKeyBytes.length != DATA_KEY_BYTES) {
      throw new IllegalArgumentException("data key of generation " + id + " must be " + DATA_KEY_BYTES + " bytes, is "
          + dataKeyBytes.length);
    }
    byte[] idBytes = HexFormat.of().parseHex(id);
    if (idBytes.length != GENERATION_ID_BYTES) {
      throw new IllegalArgumentException("generation id " + id + " is not " + GENERATION_ID_BYTES + " bytes");
    }
    for (Generation g : generations) {
      if (g.id.equals(id)) {
        return;
      }
    }
    byte[] envelope = new byte[ENVELOPE_BYTES];
    System.arraycopy(ENVELOPE_MAGIC, 0, envelope, 0, ENVELOPE_MAGIC.length);
    System.arraycopy(idBytes, 0, envelope, ENVELOPE_MAGIC.length, GENERATION_ID_BYTES);
    Generation[] next = Arrays.copyOf(generations, generations.length + 1);
    next[next.length - 1] = new Generation(id, envelope, new SecretKeySpec(dataKeyBytes.clone(), "AES"));
    Arrays.sort(next, java.util.Comparator.comparing(Generation::id));
    generations = next;
    newest = next[next.length - 1];
  }

  /** The id of the generation that seals now, or null for generation 0 (the key in the vault's config). */
  public String currentGeneration() {
    Generation g = newest;
    return g == null ? null : g.id;
  }

  /** Ids of the generations after 0, oldest first. */
  public java.util.List<String> generationIds() {
    java.util.List<String> ids = new java.util.ArrayList<>();
    for (Generation g : generations) {
      ids.add(g.id);
    }
    return ids;
  }

  /**
   * The generation {@code sealed[off, off+len)} names: the id in its envelope, or null when it has none (generation
   * 0, the only kind before rotations). Reads the bytes only; says nothing about whether they open.
   */
  public static String generationOf(byte[] sealed, int off, int len) {
    if (!hasEnvelope(sealed, off, len)) {
      return null;
    }
    return HexFormat.of().formatHex(sealed, off + ENVELOPE_MAGIC.length, off + ENVELOPE_BYTES);
  }

  private static boolean hasEnvelope(byte[] sealed, int off, int len) {
    return len >= ENVELOPE_BYTES + Aead.OVERHEAD
        && Arrays.equals(sealed, off, off + ENVELOPE_MAGIC.length, ENVELOPE_MAGIC, 0, ENVELOPE_MAGIC.length);
  }

  private Generation generationNamed(byte[] sealed, int off) {
    for (Generation g : generations) {
      if (Arrays.equals(sealed, off + ENVELOPE_MAGIC.length, off + ENVELOPE_BYTES, g.envelope, ENVELOPE_MAGIC.length,
          ENVELOPE_BYTES)) {
        return g;
      }
    }
    return null;
  }

  /** How many bytes sealing adds to {@code len} plaintext bytes under the current generation. */
  public int sealedOverhead() {
    return newest == null ? Aead.OVERHEAD : ENVELOPE_BYTES + Aead.OVERHEAD;
  }

  /** The plaintext length of {@code sealed[off, off+len)}, by its envelope (or the lack of one). */
  public static int plaintextLength(byte[] sealed, int off, int len) {
    return len - (hasEnvelope(sealed, off, len) ? ENVELOPE_BYTES : 0) - Aead.OVERHEAD;
  }

  /**
   * Seals with the newest data key (after an envelope naming it, when it is not generation 0); {@code aad} binds the
   * ciphertext to its name so it cannot be swapped for another.
   */
  public byte[] seal(byte[] plaintext, int off, int len, byte[] aad) {
    Generation g = newest;
    return g == null ? Aead.seal(dataKey, plaintext, off, len, aad) : Aead.sealAfter(g.envelope, g.key, plaintext, off, len, aad);
  }

  /**
   * {@link #seal} into {@code out} from {@code outOff} (room for {@code len + MAX_SEALED_OVERHEAD} bytes), without
   * allocating; answers how many bytes it wrote.
   */
  public int sealInto(byte[] plaintext, int off, int len, byte[] aad, byte[] out, int outOff) {
    Generation g = newest;
    return g == null ? Aead.sealInto(Aead.NO_PREFIX, dataKey, plaintext, off, len, aad, out, outOff)
        : Aead.sealInto(g.envelope, g.key, plaintext, off, len, aad, out, outOff);
  }

  /**
   * Seals with generation 0 (the config's key), whatever the newest generation is: for vault locks, which every
   * process that opens the vault must read, including one that opened it before the latest rotation (a lock it could
   * not read it would ignore, and gc could then run beside a backup). Locks hold no data, only who holds them.
   */
  public byte[] sealWithOriginalKey(byte[] plaintext, int off, int len, byte[] aad) {
    return Aead.seal(dataKey, plaintext, off, len, aad);
  }

  public byte[] open(byte[] sealed, int off, int len, byte[] aad) {
    if (!hasEnvelope(sealed, off, len)) {
      return Aead.open(dataKey, sealed, off, len, aad);
    }
    Generation g = generationNamed(sealed, off);
    try {
      if (g == null) {
        throw unknownGeneration(sealed, off, len);
      }
      return Aead.open(g.key, sealed, off + ENVELOPE_BYTES, len - ENVELOPE_BYTES, aad);
    } catch (TamperedDataException e) {
      try {
        return Aead.open(dataKey, sealed, off, len, aad); // an old object whose nonce begins like an envelope
      } catch (TamperedDataException old) {
        throw e;
      }
    }
  }

  /** Opens into {@code out} without allocating; see {@link Aead#openInto}. */
  public int openInto(byte[] sealed, int off, int len, byte[] aad, byte[] out, int outOff) {
    if (!hasEnvelope(sealed, off, len)) {
      return Aead.openInto(dataKey, sealed, off, len, aad, out, outOff);
    }
    Generation g = generationNamed(sealed, off);
    try {
      if (g == null) {
        throw unknownGeneration(sealed, off, len);
      }
      return Aead.openInto(g.key, sealed, off + ENVELOPE_BYTES, len - ENVELOPE_BYTES, aad, out, outOff);
    } catch (TamperedDataException e) {
      try {
        return Aead.openInto(dataKey, sealed, off, len, aad, out, outOff);
      } catch (TamperedDataException | IllegalArgumentException old) {
        throw e;
      }
    }
  }

  private static TamperedDataException unknownGeneration(byte[] sealed, int off, int len) {
    return new TamperedDataException("sealed under data-key generation " + generationOf(sealed, off, len)
        + ", which this vault did not have when it was opened (keys/" + generationOf(sealed, off, len)
        + " is missing, or was made since: open the vault again)");
  }

  public long[] fingerprintSeed() {
    return fingerprintSeed.clone();
  }
}
