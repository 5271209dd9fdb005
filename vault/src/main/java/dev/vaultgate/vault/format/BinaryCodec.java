package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.crypto.VaultKeys;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Shared plumbing of the sealed binary objects (index segments, pack headers, manifests). */
final class BinaryCodec {
  private BinaryCodec() {
  }

  interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  interface Reader<T> {
    T read(DataInputStream in) throws IOException;
  }

  static byte[] encode(int sizeHint, Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(sizeHint);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Decodes {@code data}; a short or malformed object becomes a {@link CorruptObjectException} naming {@code what}. */
  static <T> T decode(byte[] data, String what, Reader<T> reader) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
      T value = reader.read(in);
      if (in.available() != 0) {
        throw new CorruptObjectException(what + " has " + in.available() + " unexpected trailing bytes");
      }
      return value;
    } catch (IOException | RuntimeException e) {
      throw corrupt(what, e);
    }
  }

  /**
   * Runs a decoding of its own (over a buffer; it checks for trailing bytes itself): a short or malformed object becomes
   * a {@link CorruptObjectException} naming {@code what}, as with {@link #decode(byte[], String, Reader)}.
   */
  static <T> T decode(String what, java.util.function.Supplier<T> decoding) {
    try {
      return decoding.get();
    } catch (RuntimeException e) {
      throw corrupt(what, e);
    }
  }

  private static CorruptObjectException corrupt(String what, Exception e) {
    if (e instanceof CorruptObjectException c) {
      return c.getMessage().startsWith(what) ? c : new CorruptObjectException(what + ": " + c.getMessage());
    }
    return new CorruptObjectException(what + " is truncated or malformed (" + e.getClass().getSimpleName() + ")");
  }

  static byte[] open(VaultKeys keys, byte[] sealed, String aad, String what) {
    try {
      return keys.open(sealed, 0, sealed.length, aad.getBytes(StandardCharsets.US_ASCII));
    } catch (TamperedDataException e) {
      throw new CorruptObjectException(what + (e.getMessage().startsWith("sealed under data-key generation")
          ? " is " + e.getMessage() : " fails authentication (damaged, truncated or not of this vault)"));
    }
  }

  static byte[] seal(VaultKeys keys, byte[] plain, String aad) {
    return keys.seal(plain, 0, plain.length, aad.getBytes(StandardCharsets.US_ASCII));
  }

  static void expectMagic(DataInputStream in, int magic, String what) throws IOException {
    int m = in.readInt();
    if (m != magic) {
      throw new CorruptObjectException(what + " has an unknown format (magic " + Integer.toHexString(m) + ")");
    }
  }

  static void writeEntry(DataOutputStream out, IndexEntry e) throws IOException {
    out.write(e.chunkId());
    out.writeByte(e.encoding());
    out.writeInt(e.offset());
    out.writeInt(e.length());
    out.writeInt(e.rawLength());
  }

  static IndexEntry readEntry(DataInputStream in, String packId) throws IOException {
    byte[] id = in.readNBytes(VaultKeys.CHUNK_ID_BYTES);
    if (id.length != VaultKeys.CHUNK_ID_BYTES) {
      throw new java.io.EOFException();
    }
    byte enc = in.readByte();
    int offset = in.readInt();
    int length = in.readInt();
    int raw = in.readInt();
    if (offset < 0 || length < 0 || raw < 0) {
      throw new CorruptObjectException("negative offset or length in entry of pack " + packId);
    }
    return new IndexEntry(id, packId, offset, length, raw, enc);
  }
}
