package dev.vaultgate.vault.spill;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/** A {@link ByteStore} in one heap array. */
final class HeapByteStore extends ByteStore {
  private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  final byte[] array;

  HeapByteStore(byte[] array) {
    this.array = array;
  }

  @Override
  public long capacity() {
    return array.length;
  }

  @Override
  public byte getByte(long pos) {
    return array[(int) pos];
  }

  @Override
  public void putByte(long pos, byte value) {
    array[(int) pos] = value;
  }

  @Override
  public int getInt(long pos) {
    return (int) INTS.get(array, (int) pos);
  }

  @Override
  public void putInt(long pos, int value) {
    INTS.set(array, (int) pos, value);
  }

  @Override
  public long getLong(long pos) {
    return (long) LONGS.get(array, (int) pos);
  }

  @Override
  public void putLong(long pos, long value) {
    LONGS.set(array, (int) pos, value);
  }

  @Override
  public void get(long pos, byte[] dst, int off, int len) {
    System.arraycopy(array, (int) pos, dst, off, len);
  }

  @Override
  public void put(long pos, byte[] src, int off, int len) {
    System.arraycopy(src, off, array, (int) pos, len);
  }

  @Override
  public boolean contentEquals(long pos, byte[] b, int off, int len) {
    int p = (int) pos;
    return Arrays.equals(array, p, p + len, b, off, off + len);
  }

  @Override
  public byte[] heapArray() {
    return array;
  }
}
