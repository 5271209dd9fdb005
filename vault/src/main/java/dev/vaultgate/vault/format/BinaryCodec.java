package dev.vaultgate.vault.format;

import dev.vaultgate.vault.crypto.TamperedDataException;
import dev.vaultgate.vault.crypto.VaultKeys;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Shared plumbing of the sealed binary objects (index segments, pack headers, manifests). */
final class BinaryCodec {
  private BinaryCodec() {
  }

  interface Writer {
    void write(DataOutputStream out) throws IOException;
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

  interface Reader<T> {
    T read(ByteBuffer in);
  }

  /**
   * Decodes {@code data} through a buffer over it (a decoder may read fields where they lie); a short or malformed
   * object becomes a {@link CorruptObjectException} naming {@code what}. Buffers rather than data streams: a manifest or
   * index holds an entry per block or chunk, decoded when a command starts, before the JIT has compiled anything,
   * where per-byte stream calls cost tens of milliseconds.
   */
  static <T> T decode(byte[] data, String what, Reader<T> reader) {
    try {
      ByteBuffer in = ByteBuffer.wrap(data);
      T value = reader.read(in);
      if (in.hasRemaining()) {
        throw new CorruptObjectException(what + " has " + in.remaining() + " unexpected trailing bytes");
      }
      return value;
    } catch (RuntimeException e) {
      if (e instanceof CorruptObjectException c) {
        throw c.getMessage().startsWith(what) ? c : new CorruptObjectException(what + ": " + c.getMessage());
      }
      throw new CorruptObjectException(what + " is truncated or malformed (" + e.getClass().getSimpleName() + ")");
    }
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

  static void expectMagic(ByteBuffer in, int magic, String what) {
    int m = in.getInt();
    if (m != magic) {
      throw new CorruptObjectException(what + " has an unknown format (magic " + Integer.toHexString(m) + ")");
    }
  }

  /** {@code n} bytes from {@code in}, or a short object. */
  static byte[] bytes(ByteBuffer in, int n) {
    if (n < 0 || n > in.remaining()) {
      throw new BufferUnderflowException();
    }
    byte[] b = new byte[n];
    in.get(b);
    return b;
  }

  static void writeEntry(DataOutputStream out, IndexEntry e) throws IOException {
    out.write(e.chunkId());
    out.writeByte(e.encoding());
    out.writeInt(e.offset());
    out.writeInt(e.length());
    out.writeInt(e.rawLength());
  }

  static IndexEntry readEntry(ByteBuffer in, String packId) {
    byte[] id = bytes(in, VaultKeys.CHUNK_ID_BYTES);
    byte enc = in.get();
    int offset = in.getInt();
    int length = in.getInt();
    int raw = in.getInt();
    if (offset < 0 || length < 0 || raw < 0) {
      throw new CorruptObjectException("negative offset or length in entry of pack " + packId);
    }
    return new IndexEntry(id, packId, offset, length, raw, enc);
  }
}
