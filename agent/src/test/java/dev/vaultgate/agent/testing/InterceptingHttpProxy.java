package dev.vaultgate.agent.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import java.util.Set;

/**
 * An HTTP reverse proxy on loopback in front of a real server that lets a test act between a request and its
 * forwarding: the hook runs (on a worker: it may block) with the method, path and body, and the request goes on
 * only when it returns. The client waits for its answer meanwhile, so the hook runs at a known point of its work.
 */
public final class InterceptingHttpProxy implements AutoCloseable {

  /** What the test does before a request is forwarded. */
  @FunctionalInterface
  public interface Hook {
    void before(String method, String path, Buffer body) throws Exception;
  }

  private static final Set<String> HOP_BY_HOP = Set.of("host", "content-length", "connection", "transfer-encoding");

  private final HttpServer server;
  private final HttpClient client;

  private InterceptingHttpProxy(HttpServer server, HttpClient client) {
    this.server = server;
    this.client = client;
  }

  public static InterceptingHttpProxy start(Vertx vertx, int targetPort, Hook hook) {
    HttpClient client = vertx.createHttpClient();
    HttpServer server = vertx.createHttpServer().requestHandler(in -> in.body().compose(body -> vertx.executeBlocking(() -> {
          hook.before(in.method().name(), in.path(), body);
          return body;
        }, true))
        .compose(body -> {
          RequestOptions options = new RequestOptions().setMethod(in.method()).setHost("127.0.0.1").setPort(targetPort)
              .setURI(in.uri());
          in.headers().forEach((name, value) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
              options.addHeader(name, value);
            }
          });
          return client.request(options).compose(out -> out.send(body));
        })
        .compose(answer -> answer.body().map(b -> new Object[] {answer, b}))
        .onComplete(ar -> {
          if (ar.failed()) {
            in.response().setStatusCode(502).end(String.valueOf(ar.cause().getMessage()));
            return;
          }
          HttpClientResponse answer = (HttpClientResponse) ar.result()[0];
          in.response().setStatusCode(answer.statusCode());
          answer.headers().forEach((name, value) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
              in.response().headers().add(name, value);
            }
          });
          in.response().end((Buffer) ar.result()[1]);
        }));
    server.listen(0, "127.0.0.1").await();
    return new InterceptingHttpProxy(server, client);
  }

  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    server.close().await();
    client.close().await();
  }
}
