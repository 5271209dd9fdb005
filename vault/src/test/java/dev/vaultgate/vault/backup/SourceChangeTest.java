package dev.vaultgate.vault.backup;

import dev.vaultgate.vault.testing.EngineFixture;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.Repository;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A source file that really shrinks or grows while it is read: the backup fails clearly and makes no recovery point. */
class SourceChangeTest {
  @TempDir
  Path tmp;
  private EngineFixture vault;
  private Path source;

  @BeforeEach
  void setUp() throws IOException {
    vault = EngineFixture.onFiles(tmp);
    vault.init().close();
    byte[] image = new byte[32 << 20];
    new Random(5).nextBytes(image);
    source = Files.write(tmp.resolve("disk.img"), image);
  }

  @AfterEach
  void tearDown() {
    vault.close();
  }

  /** Reads the real file, and changes its length on the first read, as a live writer would. */
  private BlockSource changingAfterFirstRead(long newLength) {
    FileBlockSource file = FileBlockSource.open(source);
    AtomicBoolean changed = new AtomicBoolean();
    return new BlockSource() {
      @Override
      public long size() throws IOException {
        return file.size();
      }

      @Override
      public int read(long position, byte[] buf, int off, int len) throws IOException {
        if (changed.compareAndSet(false, true)) {
          try (RandomAccessFile f = new RandomAccessFile(source.toFile(), "rw")) {
            f.setLength(newLength);
          }
        }
        return file.read(position, buf, off, len);
      }

      @Override
      public String describe() {
        return file.describe();
      }

      @Override
      public void close() throws IOException {
        file.close();
      }
    };
  }

  private SourceException backupFails(long newLength) {
    try (Repository repo = vault.open(); BlockSource src = changingAfterFirstRead(newLength)) {
      return assertThrows(SourceException.class,
          () -> vault.await(() -> BackupJob.run(repo, src, BackupJob.Options.defaults("disk0"))));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private void assertNoPointAndVaultValid() {
    try (Repository repo = vault.open()) {
      assertTrue(vault.await(repo::listPoints).isEmpty());
      assertTrue(vault.await(() -> VaultChecker.check(repo, true)).ok());
    }
  }

  @Test
  void sourceThatShrinksDuringBackupFailsAndMakesNoPoint() {
    SourceException e = backupFails(1 << 20);
    assertTrue(e.getMessage().contains("shrank") || e.getMessage().contains("changed size"), e.getMessage());
    assertTrue(e.getMessage().contains(source.toString()), e.getMessage());
    assertNoPointAndVaultValid();
  }

  @Test
  void sourceThatGrowsDuringBackupFailsAndMakesNoPoint() {
    SourceException e = backupFails(40 << 20);
    assertTrue(e.getMessage().contains("changed size"), e.getMessage());
    assertNoPointAndVaultValid();
  }
}
