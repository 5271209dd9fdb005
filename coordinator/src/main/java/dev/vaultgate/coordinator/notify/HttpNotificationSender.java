package dev.vaultgate.coordinator.notify;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.Clock;
import java.time.Duration;

/**
 * Posts the SNS-shaped JSON message to an http/https subscriber, as SNS does (Content-Type
 * text/plain, {@code x-amz-sns-*} headers), signed with the subscription's secret in
 * {@link WebhookSignature#HEADER}. Any 2xx is delivered; anything else, or no answer within the
 * timeout, fails the attempt.
 */
public final class HttpNotificationSender implements NotificationSender {

  private final HttpClient client;
  private final Duration timeout;
  private final Clock clock;

  public HttpNotificationSender(HttpClient client, Duration timeout, Clock clock) {
    this.client = client;
    this.timeout = timeout;
    this.clock = clock;
  }

  @Override
  public Future<Void> send(NotificationOutbox.Delivery d) {
    Buffer body = Buffer.buffer(d.message().encode());
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(d.endpoint())
        .setConnectTimeout(timeout.toMillis()).setTimeout(timeout.toMillis())
        .putHeader("Content-Type", "text/plain; charset=UTF-8")
        .putHeader("User-Agent", "Vaultgate-Notifications/1.0")
        .putHeader("x-amz-sns-message-type", d.message().getString("Type", "Notification"))
        .putHeader("x-amz-sns-message-id", d.message().getString("MessageId", ""))
        .putHeader("x-amz-sns-topic-arn", d.message().getString("TopicArn", ""))
        .putHeader("x-amz-sns-subscription-arn", d.subscriptionArn());
    if (d.signingSecret() != null) {
      options.putHeader(WebhookSignature.HEADER,
          WebhookSignature.header(d.signingSecret(), clock.instant().getEpochSecond(), body.getBytes()));
    }
    return client.request(options)
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().map(ignored -> resp.statusCode()))
        .transform(ar -> {
          if (ar.failed()) {
            return Future.<Void>failedFuture("POST " + d.endpoint() + ": " + oneLine(ar.cause()));
          }
          int status = ar.result();
          if (status / 100 != 2) return Future.<Void>failedFuture("POST " + d.endpoint() + " answered HTTP " + status);
          return Future.<Void>succeededFuture();
        });
  }

  /** The error and, when it says more, its root cause ("Failed to create SSL connection: PKIX path ..."). */
  static String oneLine(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    if (root != t && root.getMessage() != null && !m.contains(root.getMessage())) m += ": " + root.getMessage();
    return m.replaceAll("\\s+", " ");
  }
}
