package dev.vaultgate.vault.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Byte ranges of a disk that changed since the previous recovery point, as VMware CBT's
 * QueryChangedDiskAreas or a {@code --changed-extents} file gives them. Sorted and merged.
 */
public final class ChangedExtents {
  /** {@code length} bytes from {@code offset}; both non-negative and the end representable. */
  public record Extent(long offset, long length) {
    public Extent {
      if (offset < 0 || length < 0 || offset > Long.MAX_VALUE - length) {
        throw new IllegalArgumentException("bad changed extent: offset " + offset + ", length " + length);
      }
    }

    public long end() {
      return offset + length;
    }
  }

  private final List<Extent> extents;

  private ChangedExtents(List<Extent> extents) {
    this.extents = extents;
  }

  public static ChangedExtents of(List<Extent> raw) {
    List<Extent> sorted = new ArrayList<>(raw);
    sorted.sort(Comparator.comparingLong(Extent::offset));
    List<Extent> merged = new ArrayList<>();
    for (Extent e : sorted) {
      if (e.length() == 0) {
        continue;
      }
      if (!merged.isEmpty()) {
        Extent last = merged.get(merged.size() - 1);
        if (e.offset() <= last.offset() + last.length()) {
          long end = Math.max(last.offset() + last.length(), e.offset() + e.length());
          merged.set(merged.size() - 1, new Extent(last.offset(), end - last.offset()));
          continue;
        }
      }
      merged.add(e);
    }
    return new ChangedExtents(List.copyOf(merged));
  }

  /** Reads "offset length" pairs in decimal bytes, one per line; blank lines and # comments are skipped. */
  public static ChangedExtents parse(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read changed extents " + file + ": " + e.getMessage());
    }
    List<Extent> extents = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("[\\s,]+");
      try {
        if (parts.length != 2) {
          throw new NumberFormatException();
        }
        long offset = Long.parseLong(parts[0]);
        long length = Long.parseLong(parts[1]);
        if (offset < 0 || length < 0) {
          throw new NumberFormatException();
        }
        if (offset > Long.MAX_VALUE - length) {
          throw new IllegalArgumentException("changed extents " + file + " line " + (i + 1) + ": extent '" + line
              + "' ends past the largest possible offset");
        }
        extents.add(new Extent(offset, length));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("changed extents " + file + " line " + (i + 1)
            + ": expected 'offset length' in bytes, got '" + line + "'");
      }
    }
    return of(extents);
  }

  public List<Extent> extents() {
    return extents;
  }

  public long totalBytes() {
    return extents.stream().mapToLong(Extent::length).sum();
  }
}
