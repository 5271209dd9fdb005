package dev.vaultgate.vault.storage;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HeadObject's {@code x-amz-restore} as S3 documents it, and which classes need a restore before a GET. */
class ArchiveStateTest {

  @Test
  void anArchivedObjectWithoutRestoreHeaderIsNotReadable() {
    ArchiveState s = S3VaultStorage.parseRestore("DEEP_ARCHIVE", null);
    assertTrue(s.archived());
    assertFalse(s.restoreInProgress());
    assertFalse(s.readable());
  }

  @Test
  void aRunningRestoreIsNotReadableYet() {
    ArchiveState s = S3VaultStorage.parseRestore("GLACIER", "ongoing-request=\"true\"");
    assertTrue(s.restoreInProgress());
    assertFalse(s.readable());
    assertNull(s.restoredUntil());
  }

  @Test
  void aFinishedRestoreIsReadableUntilItsExpiryDate() {
    ArchiveState s = S3VaultStorage.parseRestore("DEEP_ARCHIVE",
        "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\"");
    assertFalse(s.restoreInProgress());
    assertTrue(s.readable());
    assertEquals(Instant.parse("2012-12-21T00:00:00Z"), s.restoredUntil());
  }

  @Test
  void onlyGlacierAndDeepArchiveNeedARestore() {
    assertTrue(ArchiveState.archiveClass("GLACIER"));
    assertTrue(ArchiveState.archiveClass("DEEP_ARCHIVE"));
    for (String online : new String[] {"STANDARD", "GLACIER_IR", "STANDARD_IA", "COLD", null}) {
      assertFalse(ArchiveState.archiveClass(online), online);
      assertTrue(ArchiveState.online(online).readable());
    }
  }
}
