package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.VaultKeys;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManifestCodecTest {
  private static final int BS = 64 * 1024;
  private static final String UNICODE_METADATA =
      "{\"vm\":\"Bürokratie-Server 東京 🚀\",\"note\":\"e\u0301\u00e9 \\\"quoted\\\" \0 end\"}";

  private final VaultKeys keys = VaultKeys.fromMaterial(VaultKeys.newMaterial());
  private final Random random = new Random(3);

  private DiskBlocks disk(String name, long size, long... blocks) {
    DiskBlocks.Builder b = DiskBlocks.builder(name, size, BS);
    byte[] id = new byte[DiskBlocks.ID];
    byte[] fp = new byte[DiskBlocks.FP];
    for (long block : blocks) {
      random.nextBytes(id);
      random.nextBytes(fp);
      b.add(block, id, 0, fp, 0);
    }
    return b.build();
  }

  /** Two disks: the first ends in a partial block, the second is 2 TiB with gaps that need long varints. */
  private Manifest twoDisks(String id, String parentId, String metadata) {
    long size0 = 1000L * BS + 123;
    DiskBlocks d0 = disk("scsi0:0", size0, 0, 1, 2, 7, 500, 999, 1000);
    long size1 = 2L << 40;
    long lastBlock = size1 / BS - 1;
    DiskBlocks d1 = disk("scsi0:1 — data", size1, 3, 200, 70_000, 20_000_000, lastBlock);
    return new Manifest(id, 1_750_000_000_123L, parentId, metadata, List.of(d0, d1));
  }

  private static void assertSameManifest(Manifest expected, Manifest actual) {
    assertEquals(expected.id(), actual.id());
    assertEquals(expected.createdAtMillis(), actual.createdAtMillis());
    assertEquals(expected.parentId(), actual.parentId());
    assertEquals(expected.metadataJson(), actual.metadataJson());
    assertEquals(expected.disks().size(), actual.disks().size());
    for (int d = 0; d < expected.disks().size(); d++) {
      DiskBlocks e = expected.disks().get(d);
      DiskBlocks a = actual.disks().get(d);
      assertEquals(e.name(), a.name());
      assertEquals(e.size(), a.size());
      assertEquals(e.blockSize(), a.blockSize());
      assertEquals(e.entryCount(), a.entryCount());
      byte[] efp = new byte[16];
      byte[] afp = new byte[16];
      for (int i = 0; i < e.entryCount(); i++) {
        assertEquals(e.blockAt(i), a.blockAt(i), "block of entry " + i + " of disk " + d);
        assertArrayEquals(e.chunkIdAt(i), a.chunkIdAt(i), "chunk id of entry " + i + " of disk " + d);
        e.fingerprintAt(i, efp, 0);
        a.fingerprintAt(i, afp, 0);
        assertArrayEquals(efp, afp, "fingerprint of entry " + i + " of disk " + d);
      }
    }
  }

  @Test
  void manifestWithTwoSparseDisksDecodesToTheSame() {
    String id = ObjectIds.newId();
    Manifest m = twoDisks(id, ObjectIds.newId(), UNICODE_METADATA);
    Manifest back = ManifestCodec.decode(keys, id, ManifestCodec.encode(keys, m));
    assertSameManifest(m, back);
    DiskBlocks d0 = back.disk("scsi0:0");
    assertEquals(1001, d0.blockCount());
    assertEquals(123, d0.lengthOf(1000));
    assertEquals(-1, d0.find(3));
    assertEquals(3, d0.find(7));
    assertSame(back.disks().get(1), back.disk("scsi0:1 — data"));
    assertNull(back.disk("scsi0:2"));
  }

  @Test
  void nullParentStaysNull() {
    String id = ObjectIds.newId();
    Manifest m = twoDisks(id, null, "{}");
    Manifest back = ManifestCodec.decode(keys, id, ManifestCodec.encode(keys, m));
    assertNull(back.parentId());
    assertSameManifest(m, back);
  }

  @Test
  void unicodeMetadataSurvivesByteForByte() {
    String id = ObjectIds.newId();
    Manifest m = new Manifest(id, 0, null, UNICODE_METADATA, List.of());
    assertEquals(UNICODE_METADATA, ManifestCodec.decode(keys, id, ManifestCodec.encode(keys, m)).metadataJson());
  }

  @Test
  void manifestWithoutDisksOrWithEmptyDisksDecodes() {
    String id = ObjectIds.newId();
    for (Manifest m : List.of(new Manifest(id, 1, null, "", List.of()),
        new Manifest(id, 1, null, "{}", List.of(disk("empty", 0), disk("all sparse", 10L * BS))))) {
      assertSameManifest(m, ManifestCodec.decode(keys, id, ManifestCodec.encode(keys, m)));
    }
  }

  /** The format as the first versions wrote it: big-endian data streams, a varint block delta per entry. */
  private static byte[] writtenWithDataStreams(Manifest m) throws java.io.IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
      out.writeInt(0x56474d31);
      out.writeLong(m.createdAtMillis());
      for (String s : new String[] {m.parentId() == null ? "" : m.parentId(), m.metadataJson()}) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
      }
      out.writeInt(m.disks().size());
      for (DiskBlocks d : m.disks()) {
        byte[] name = d.name().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(name.length);
        out.write(name);
        out.writeLong(d.size());
        out.writeInt(d.blockSize());
        out.writeInt(d.entryCount());
        long previous = -1;
        for (int i = 0; i < d.entryCount(); i++) {
          for (long v = d.blockAt(i) - previous; ; v >>>= 7) {
            if ((v & ~0x7fL) == 0) {
              out.writeByte((int) v);
              break;
            }
            out.writeByte((int) ((v & 0x7f) | 0x80));
          }
          previous = d.blockAt(i);
          out.write(d.chunkIdAt(i));
          byte[] fp = new byte[DiskBlocks.FP];
          d.fingerprintAt(i, fp, 0);
          out.write(fp);
        }
      }
    }
    return bytes.toByteArray();
  }

  /** The frames of an encoded manifest, each as it lies in the object: {@code [u8 last][u32 length][sealed]}. */
  private static List<byte[]> frames(byte[] encoded) {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(encoded, 8, encoded.length - 8);
    List<byte[]> frames = new java.util.ArrayList<>();
    while (in.hasRemaining()) {
      int start = in.position();
      in.get();
      int length = in.getInt();
      in.position(in.position() + length);
      frames.add(Arrays.copyOfRange(encoded, start, in.position()));
    }
    return frames;
  }

  /** The plaintext of the frames, joined: each opened under its place and whether it is the last. */
  private byte[] joinedPlaintext(String id, byte[] encoded) {
    java.io.ByteArrayOutputStream plain = new java.io.ByteArrayOutputStream();
    List<byte[]> frames = frames(encoded);
    for (int n = 0; n < frames.size(); n++) {
      byte[] f = frames.get(n);
      boolean last = n == frames.size() - 1;
      assertEquals(last ? 1 : 0, f[0], "the last-frame flag of frame " + n);
      byte[] aad = ("point " + id + " frame " + n + (last ? " last" : "")).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      plain.writeBytes(keys.open(f, 5, f.length - 5, aad));
    }
    return plain.toByteArray();
  }

  private static byte[] reassembled(byte[] encoded, List<byte[]> frames) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(encoded, 0, 8);
    frames.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** Vaults written before manifests were framed hold the plaintext below sealed whole: they still read. */
  @Test
  void aManifestOfTheFirstFormatSealedWholeStillDecodes() throws Exception {
    String id = ObjectIds.newId();
    Manifest m = twoDisks(id, ObjectIds.newId(), UNICODE_METADATA);
    assertSameManifest(m, ManifestCodec.decode(keys, id, BinaryCodec.seal(keys, writtenWithDataStreams(m), "point " + id)));
  }

  @Test
  void theFramesJoinedAreByteForByteThePlaintextOfTheFirstFormat() throws Exception {
    String id = ObjectIds.newId();
    Manifest m = twoDisks(id, ObjectIds.newId(), UNICODE_METADATA);
    assertArrayEquals(writtenWithDataStreams(m), joinedPlaintext(id, ManifestCodec.encode(keys, m)));
  }

  /** 100,000 entries are ~5.6 MB of plaintext: several frames, none larger than a frame, no record cut in two. */
  @Test
  void aLargeManifestIsWrittenInFramesOfBoundedSizeAndReadFromAStream() throws Exception {
    long[] blocks = new long[100_000];
    for (int i = 0; i < blocks.length; i++) {
      blocks[i] = i * 3L + (i % 2);
    }
    String id = ObjectIds.newId();
    Manifest m = new Manifest(id, 5, null, "{}", List.of(disk("big", 400_000L * BS, blocks)));
    byte[] encoded = ManifestCodec.encode(keys, m);
    List<byte[]> frames = frames(encoded);
    assertTrue(frames.size() >= 5, frames.size() + " frames");
    for (byte[] f : frames) {
      assertTrue(f.length <= 5 + ManifestCodec.FRAME_BYTES + 64, f.length + " bytes");
    }
    assertArrayEquals(writtenWithDataStreams(m), joinedPlaintext(id, encoded));
    assertTrue(encoded.length <= ManifestCodec.sizeBound(m), encoded.length + " > bound " + ManifestCodec.sizeBound(m));
    assertSameManifest(m, ManifestCodec.decode(keys, id, new java.io.ByteArrayInputStream(encoded)));
  }

  private Manifest oneLargeDisk(String id) {
    long[] blocks = new long[100_000];
    for (int i = 0; i < blocks.length; i++) {
      blocks[i] = i * 2L;
    }
    return new Manifest(id, 1_750_000_000_456L, ObjectIds.newId(), UNICODE_METADATA, List.of(disk("big", 200_000L * BS + 7, blocks)));
  }

  /** `points` reads a manifest's first frame only: for a point of one disk, that holds everything a listing shows. */
  @Test
  void theHeaderOfAPointOfOneDiskIsReadFromItsFirstFrameAlone() {
    String id = ObjectIds.newId();
    Manifest m = oneLargeDisk(id);
    byte[] encoded = ManifestCodec.encode(keys, m);
    assertTrue(encoded.length > 4 * ManifestCodec.FIRST_FRAME_BYTES, encoded.length + " bytes");
    byte[] prefix = Arrays.copyOf(encoded, ManifestCodec.FIRST_FRAME_BYTES);
    PointHeader h = ManifestCodec.decodeHeader(keys, id, prefix, false);
    assertEquals(PointHeader.of(m), h);
    assertEquals(new PointHeader.DiskHeader("big", 200_000L * BS + 7, BS, 100_000), h.disks().get(0));
    assertEquals(PointHeader.of(m), ManifestCodec.decodeHeader(keys, id, encoded, true));
  }

  /** Several disks, or the first format: the first frame does not say it all, and the caller reads the whole. */
  @Test
  void aPrefixThatEndsBeforeTheLastDiskHeaderAnswersNullAndTheWholeObjectAnswers() throws Exception {
    String id = ObjectIds.newId();
    long[] blocks = new long[60_000];
    for (int i = 0; i < blocks.length; i++) {
      blocks[i] = i;
    }
    Manifest m = new Manifest(id, 9, null, "{}", List.of(disk("first", 60_000L * BS, blocks), disk("second", 5L * BS, 1, 3)));
    byte[] encoded = ManifestCodec.encode(keys, m);
    assertNull(ManifestCodec.decodeHeader(keys, id, Arrays.copyOf(encoded, ManifestCodec.FIRST_FRAME_BYTES), false));
    assertEquals(PointHeader.of(m), ManifestCodec.decodeHeader(keys, id, encoded, true));

    String old = ObjectIds.newId();
    Manifest first = twoDisks(old, null, UNICODE_METADATA);
    byte[] wholeSealed = BinaryCodec.seal(keys, writtenWithDataStreams(first), "point " + old);
    assertNull(ManifestCodec.decodeHeader(keys, old, Arrays.copyOf(wholeSealed, 100), false));
    assertEquals(PointHeader.of(first), ManifestCodec.decodeHeader(keys, old, wholeSealed, true));
  }

  @Test
  void aHeaderReadFromADamagedOrAnotherPointsFirstFrameFailsNamingThePoint() {
    String id = ObjectIds.newId();
    byte[] prefix = Arrays.copyOf(ManifestCodec.encode(keys, oneLargeDisk(id)), ManifestCodec.FIRST_FRAME_BYTES);
    String other = ObjectIds.newId();
    CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> ManifestCodec.decodeHeader(keys, other, prefix, false));
    assertTrue(e.getMessage().startsWith("recovery point " + other), e.getMessage());
    prefix[100] ^= 1;
    e = assertThrows(CorruptObjectException.class, () -> ManifestCodec.decodeHeader(keys, id, prefix, false));
    assertTrue(e.getMessage().contains("recovery point " + id + " fails authentication"), e.getMessage());
  }

  @Test
  void framesDroppedReorderedOrFromAnotherPointMakeTheRecoveryPointCorrupt() {
    long[] blocks = new long[60_000];
    for (int i = 0; i < blocks.length; i++) {
      blocks[i] = i;
    }
    String id = ObjectIds.newId();
    byte[] encoded = ManifestCodec.encode(keys, new Manifest(id, 5, null, "{}", List.of(disk("d", 60_000L * BS, blocks))));
    List<byte[]> frames = frames(encoded);
    assertTrue(frames.size() >= 3, frames.size() + " frames");
    List<byte[]> withoutLast = frames.subList(0, frames.size() - 1);
    List<byte[]> withoutSecond = new java.util.ArrayList<>(frames);
    withoutSecond.remove(1);
    List<byte[]> swapped = new java.util.ArrayList<>(frames);
    java.util.Collections.swap(swapped, 0, 1);
    List<byte[]> lastMarkedNotLast = new java.util.ArrayList<>(frames);
    byte[] relabelled = frames.get(frames.size() - 1).clone();
    relabelled[0] = 0;
    lastMarkedNotLast.set(frames.size() - 1, relabelled);
    String other = ObjectIds.newId();
    byte[] otherPoint = ManifestCodec.encode(keys, new Manifest(other, 5, null, "{}", List.of(disk("d", 60_000L * BS, blocks))));
    List<byte[]> mixed = new java.util.ArrayList<>(frames);
    mixed.set(1, frames(otherPoint).get(1));
    for (List<byte[]> damaged : List.of(withoutLast, withoutSecond, swapped, lastMarkedNotLast, mixed)) {
      byte[] object = reassembled(encoded, damaged);
      CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> ManifestCodec.decode(keys, id, object));
      assertTrue(e.getMessage().startsWith("recovery point " + id), e.getMessage());
    }
    byte[] trailing = Arrays.copyOf(encoded, encoded.length + 1);
    CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> ManifestCodec.decode(keys, id, trailing));
    assertTrue(e.getMessage().contains("after its last frame"), e.getMessage());
  }

  @Test
  void truncatedManifestIsACorruptRecoveryPointNamedInTheError() {
    String id = ObjectIds.newId();
    byte[] sealed = ManifestCodec.encode(keys, twoDisks(id, null, UNICODE_METADATA));
    for (int length : new int[] {0, 10, 28, 29, sealed.length / 2, sealed.length - 1}) {
      byte[] truncated = Arrays.copyOf(sealed, length);
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> ManifestCodec.decode(keys, id, truncated), "length " + length);
      assertTrue(e.getMessage().contains("recovery point " + id), e.getMessage());
    }
  }

  @Test
  void oneFlippedBitMakesTheRecoveryPointCorruptAndNamedInTheError() {
    String id = ObjectIds.newId();
    byte[] sealed = ManifestCodec.encode(keys, twoDisks(id, null, UNICODE_METADATA));
    for (int pos : new int[] {0, 11, 12, 20, sealed.length / 2, sealed.length - 16, sealed.length - 1}) {
      byte[] damaged = sealed.clone();
      damaged[pos] ^= 4;
      CorruptObjectException e = assertThrows(CorruptObjectException.class,
          () -> ManifestCodec.decode(keys, id, damaged), "byte " + pos);
      assertTrue(e.getMessage().contains("recovery point " + id), e.getMessage());
    }
  }

  @Test
  void manifestDecodedUnderAnotherRecoveryPointIdFails() {
    String id = ObjectIds.newId();
    byte[] sealed = ManifestCodec.encode(keys, twoDisks(id, null, "{}"));
    String other = ObjectIds.newId();
    CorruptObjectException e = assertThrows(CorruptObjectException.class,
        () -> ManifestCodec.decode(keys, other, sealed));
    assertTrue(e.getMessage().contains("recovery point " + other), e.getMessage());
  }

  @Test
  void manifestOfAnotherVaultFails() {
    String id = ObjectIds.newId();
    byte[] sealed = ManifestCodec.encode(keys, twoDisks(id, null, "{}"));
    VaultKeys other = VaultKeys.fromMaterial(VaultKeys.newMaterial());
    assertThrows(CorruptObjectException.class, () -> ManifestCodec.decode(other, id, sealed));
  }
}
