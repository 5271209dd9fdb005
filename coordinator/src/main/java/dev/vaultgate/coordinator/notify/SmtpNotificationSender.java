package dev.vaultgate.coordinator.notify;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import java.time.Duration;

/**
 * Mails a notification through the configured SMTP relay (Vert.x's non-blocking mail client):
 * {@code email} gets the message text with the event's attributes, {@code email-json} the
 * SNS-shaped JSON, as SNS sends them.
 */
public final class SmtpNotificationSender implements NotificationSender {

  private final MailClient client;
  private final NotifyConfig.Smtp smtp;

  public SmtpNotificationSender(Vertx vertx, NotifyConfig.Smtp smtp, Duration timeout) {
    this.smtp = smtp;
    MailConfig config = new MailConfig().setHostname(smtp.host()).setPort(smtp.port())
        .setStarttls(StartTLSOptions.valueOf(smtp.startTls()))
        .setKeepAlive(false);
    config.setConnectTimeout((int) timeout.toMillis());
    config.setIdleTimeout((int) Math.max(1, timeout.toSeconds()));
    if (smtp.username() != null) {
      config.setLogin(LoginOption.REQUIRED).setUsername(smtp.username()).setPassword(smtp.password());
    } else {
      config.setLogin(LoginOption.DISABLED);
    }
    this.client = MailClient.create(vertx, config);
  }

  @Override
  public Future<Void> send(NotificationOutbox.Delivery d) {
    MailMessage mail = new MailMessage().setFrom(smtp.from()).setTo(d.endpoint())
        .setSubject(d.message().getString("Subject", "Vaultgate notification") + " (" + d.eventType() + ")")
        .setText("email-json".equals(d.protocol()) ? d.message().encodePrettily() : text(d));
    return client.sendMail(mail).transform(ar -> ar.succeeded() ? Future.<Void>succeededFuture()
        : Future.<Void>failedFuture("SMTP " + smtp.host() + ":" + smtp.port() + " to " + d.endpoint() + ": "
            + HttpNotificationSender.oneLine(ar.cause())));
  }

  private static String text(NotificationOutbox.Delivery d) {
    StringBuilder b = new StringBuilder(d.message().getString("Message", "")).append("\n\n");
    io.vertx.core.json.JsonObject attrs = d.message().getJsonObject("MessageAttributes");
    if (attrs != null) {
      for (String k : attrs.fieldNames()) b.append(k).append(": ").append(attrs.getJsonObject(k).getString("Value")).append('\n');
    }
    return b.append("\nTopic: ").append(d.message().getString("TopicArn")).append("\nMessage ID: ")
        .append(d.message().getString("MessageId")).append("\nTo stop these mails: aws sns unsubscribe --subscription-arn ")
        .append(d.subscriptionArn()).append('\n').toString();
  }

  public Future<Void> close() {
    return client.close();
  }
}
