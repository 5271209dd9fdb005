package dev.vaultgate.agent.disk;

import static dev.vaultgate.agent.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.agent.testing.VcsimServer;
import dev.vaultgate.agent.vsphere.DatastoreHttps;
import dev.vaultgate.agent.vsphere.DatastorePath;
import dev.vaultgate.agent.vsphere.PinnedThumbprintTrustManager;
import dev.vaultgate.agent.vsphere.VsphereClient;
import io.vertx.core.Vertx;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ranged reads of a VM's flat disk over vCenter's datastore file service, against the simulator. */
class DatastoreHttpsDiskReaderTest {
  private static final DatastorePath FLAT = DatastorePath.parse("[LocalDS_0] DC0_H0_VM0/disk1-flat.vmdk");

  private static ConnectedVcsim env;
  private static VcsimServer vcsim;
  private static Vertx vertx;
  private static VsphereClient client;

  @BeforeAll
  static void start() throws IOException {
    env = ConnectedVcsim.start(1);
    vcsim = env.vcsim;
    vertx = env.vertx;
    client = env.client;
    TestDisks.writeRandomBlocks(vcsim.datastoreFile(FLAT.path()), 9, 0, 5, 15);
  }

  @AfterAll
  static void stop() {
    if (env != null) {
      env.close();
    }
  }

  @Test
  void rangedReadsReturnExactlyTheFilesBytes() throws IOException {
    byte[] file = TestDisks.read(vcsim.datastoreFile(FLAT.path()));
    DiskReader reader = new DatastoreHttpsDiskReader(client.datastore(), "DC0", FLAT);
    for (long[] range : new long[][] {{0, 4096}, {5L * TestDisks.BLOCK - 100, 300}, {0, file.length}}) {
      byte[] buf = new byte[(int) range[1] + 10];
      int n = reader.read(range[0], buf, 10, (int) range[1]);
      assertEquals(range[1], n);
      assertArrayEquals(Arrays.copyOfRange(file, (int) range[0], (int) (range[0] + range[1])), Arrays.copyOfRange(buf, 10, 10 + n));
    }
  }

  @Test
  void aReadPastTheEndAnswersMinusOneAndOneAcrossItTheBytesBefore() throws IOException {
    DiskReader reader = new DatastoreHttpsDiskReader(client.datastore(), "DC0", FLAT);
    assertEquals(-1, reader.read(1L << 20, new byte[10], 0, 10));
    assertEquals(100, reader.read((1L << 20) - 100, new byte[200], 0, 200));
  }

  @Test
  void aMissingFileIsAFileNotFoundNamingIt() {
    DiskReader reader = new DatastoreHttpsDiskReader(client.datastore(), "DC0", DatastorePath.parse("[LocalDS_0] nobody/disk1-flat.vmdk"));
    FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> reader.read(0, new byte[10], 0, 10));
    assertTrue(e.getMessage().contains("[LocalDS_0] nobody/disk1-flat.vmdk on vCenter " + vcsim.hostPort() + ": HTTP 404"), e.getMessage());
  }

  @Test
  void aSessionVcenterDoesNotKnowIsRefusedClearly() {
    PinnedThumbprintTrustManager trust = new PinnedThumbprintTrustManager(vcsim.hostPort(), vcsim.thumbprintSha256());
    DatastoreHttps stranger = new DatastoreHttps(vcsim.hostPort(), trust.sslContext(), () -> "vmware_soap_session=\"forged\"",
        Duration.ofSeconds(10));
    IOException e = assertThrows(IOException.class, () -> stranger.readRange("DC0", FLAT, 0, new byte[10], 0, 10));
    assertTrue(e.getMessage().endsWith("HTTP 401 (the session was refused; log in again)"), e.getMessage());
    assertFalse(e instanceof FileNotFoundException);
  }

  @Test
  void anotherCertificateIsRefusedByThePin() {
    PinnedThumbprintTrustManager trust = new PinnedThumbprintTrustManager(vcsim.hostPort(), "cd".repeat(32));
    DatastoreHttps pinnedElsewhere = new DatastoreHttps(vcsim.hostPort(), trust.sslContext(), client::sessionCookie, Duration.ofSeconds(10));
    IOException e = assertThrows(IOException.class, () -> pinnedElsewhere.readRange("DC0", FLAT, 0, new byte[10], 0, 10));
    assertTrue(e.getMessage().contains("but the pinned thumbprint is CD:CD:"), e.getMessage());
  }
}
