package dev.vaultgate.agent.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback in front of a real server, which a test can cut (every connection closed, new ones
 * refused at once) and restore: how a coordinator that is unreachable for a while looks to the gateway.
 */
public final class SwitchableProxy implements AutoCloseable {
  private final Vertx vertx;
  private final NetServer server;
  private final NetClient client;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;

  private SwitchableProxy(Vertx vertx, NetServer server, NetClient client) {
    this.vertx = vertx;
    this.server = server;
    this.client = client;
  }

  public static SwitchableProxy start(Vertx vertx, String host, int port) {
    NetClient client = vertx.createNetClient();
    NetServer server = vertx.createNetServer();
    SwitchableProxy proxy = new SwitchableProxy(vertx, server, client);
    server.connectHandler(in -> {
      if (proxy.cut) {
        in.close();
        return;
      }
      in.pause();
      client.connect(port, host).onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        proxy.open.add(in);
        proxy.open.add(out);
        in.closeHandler(v -> {
          proxy.open.remove(in);
          out.close();
        });
        out.closeHandler(v -> {
          proxy.open.remove(out);
          in.close();
        });
        in.pipeTo(out);
        out.pipeTo(in);
        in.resume();
      });
    });
    server.listen(0, "127.0.0.1").await();
    return proxy;
  }

  public int port() {
    return server.actualPort();
  }

  /** Closes every connection and refuses new ones until {@link #restore()}. */
  public void cut() {
    cut = true;
    open.forEach(NetSocket::close);
  }

  public void restore() {
    cut = false;
  }

  @Override
  public void close() {
    server.close().await();
    client.close().await();
  }
}
