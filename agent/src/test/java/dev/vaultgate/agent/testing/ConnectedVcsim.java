package dev.vaultgate.agent.testing;

import dev.vaultgate.agent.vsphere.VcenterEndpoint;
import dev.vaultgate.agent.vsphere.VsphereClient;
import io.vertx.core.Vertx;

import java.io.IOException;

import static dev.vaultgate.agent.testing.Await.await;

/** A running vcsim, a Vert.x instance and a client logged in to it with the pinned thumbprint; closes all three. */
public final class ConnectedVcsim implements AutoCloseable {
  public final VcsimServer vcsim;
  public final Vertx vertx;
  public final VsphereClient client;

  private ConnectedVcsim(VcsimServer vcsim, Vertx vertx, VsphereClient client) {
    this.vcsim = vcsim;
    this.vertx = vertx;
    this.client = client;
  }

  /** Starts vcsim with {@code diskMb} MiB disks and {@code extraArgs} for scripts/vcsim, then logs in. */
  public static ConnectedVcsim start(int diskMb, String... extraArgs) throws IOException {
    VcsimServer vcsim = VcsimServer.start(diskMb, extraArgs);
    Vertx vertx = Vertx.vertx();
    try {
      VsphereClient client = await(vertx, () -> VsphereClient.connect(vertx, endpoint(vcsim)));
      return new ConnectedVcsim(vcsim, vertx, client);
    } catch (RuntimeException | Error e) {
      vertx.close().await();
      vcsim.close();
      throw e;
    }
  }

  /** The simulator's SDK URL, credentials and pinned SHA-256 thumbprint. */
  public static VcenterEndpoint endpoint(VcsimServer vcsim) {
    return VcenterEndpoint.of(vcsim.url(), vcsim.user(), vcsim.password(), vcsim.thumbprintSha256());
  }

  @Override
  public void close() {
    try {
      await(vertx, client::close);
    } finally {
      vertx.close().await();
      vcsim.close();
    }
  }
}
