package dev.vaultgate.coordinator.notify;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Notification delivery settings, read once at start from the environment.
 *
 * @param pollInterval how often a replica looks for due deliveries; zero turns delivery off on it
 * @param batchSize how many deliveries one replica claims at once
 * @param deliveryTimeout how long one attempt may take (connect + answer); a claimed row becomes
 *     due again after it, so a replica that dies mid-delivery only delays it
 * @param retry backoff, jitter and the age after which a notification is given up
 * @param smtp the relay e-mail goes through, or null: then e-mail subscriptions are refused
 * @param webhookCaFile PEM certificates that https webhooks are checked against instead of the
 *     JVM's trust store (an internal CA), or null
 * @param publicUrl the coordinator's URL as subscribers reach it (the SubscribeURL of confirmation
 *     messages), or null: the scheme and Host of the Subscribe request
 */
public record NotifyConfig(Duration pollInterval, int batchSize, Duration deliveryTimeout, RetryPolicy retry,
    Smtp smtp, Path webhookCaFile, String publicUrl) {

  /** An SMTP relay: host, port, the From address, optional login, and STARTTLS (DISABLED, OPTIONAL, REQUIRED). */
  public record Smtp(String host, int port, String from, String username, String password, String startTls) {}

  public NotifyConfig {
    if (pollInterval.isNegative()) throw new IllegalArgumentException("notify poll interval " + pollInterval + ": expected >= 0");
    if (batchSize < 1) throw new IllegalArgumentException("notify batch size " + batchSize + ": expected >= 1");
    if (deliveryTimeout.toMillis() < 1) throw new IllegalArgumentException("delivery timeout " + deliveryTimeout + ": expected > 0");
  }

  /**
   * {@code VAULTGATE_NOTIFY_POLL_MS} (1000), {@code VAULTGATE_NOTIFY_BATCH} (32),
   * {@code VAULTGATE_NOTIFY_TIMEOUT_MS} (10000), {@code VAULTGATE_NOTIFY_RETRY_BASE_MS} (2000),
   * {@code VAULTGATE_NOTIFY_RETRY_MAX_MS} (300000), {@code VAULTGATE_NOTIFY_MAX_AGE_SECONDS} (86400),
   * {@code VAULTGATE_SMTP_HOST} (none), {@code VAULTGATE_SMTP_PORT} (25), {@code VAULTGATE_SMTP_FROM}
   * (vaultgate@localhost), {@code VAULTGATE_SMTP_USERNAME}, {@code VAULTGATE_SMTP_PASSWORD},
   * {@code VAULTGATE_SMTP_STARTTLS} (OPTIONAL), {@code VAULTGATE_NOTIFY_CA_FILE} (none: the JVM's
   * trust store), {@code VAULTGATE_PUBLIC_URL} (none: from the request). Checks that the CA file is
   * readable (call it off the event loop).
   */
  public static NotifyConfig fromEnvironment(Map<String, String> env) {
    RetryPolicy retry = new RetryPolicy(Duration.ofMillis(number(env, "VAULTGATE_NOTIFY_RETRY_BASE_MS", 2000)),
        Duration.ofMillis(number(env, "VAULTGATE_NOTIFY_RETRY_MAX_MS", 300_000)),
        Duration.ofSeconds(number(env, "VAULTGATE_NOTIFY_MAX_AGE_SECONDS", 86_400)));
    Smtp smtp = null;
    String host = env.get("VAULTGATE_SMTP_HOST");
    if (host != null && !host.isBlank()) {
      long port = number(env, "VAULTGATE_SMTP_PORT", 25);
      if (port < 1 || port > 65535) throw new IllegalArgumentException("VAULTGATE_SMTP_PORT " + port + ": expected 1..65535");
      String startTls = env.getOrDefault("VAULTGATE_SMTP_STARTTLS", "OPTIONAL").toUpperCase(java.util.Locale.ROOT);
      if (!java.util.Set.of("DISABLED", "OPTIONAL", "REQUIRED").contains(startTls)) {
        throw new IllegalArgumentException("VAULTGATE_SMTP_STARTTLS " + startTls + ": expected DISABLED, OPTIONAL or REQUIRED");
      }
      smtp = new Smtp(host, (int) port, env.getOrDefault("VAULTGATE_SMTP_FROM", "vaultgate@localhost"),
          env.get("VAULTGATE_SMTP_USERNAME"), env.get("VAULTGATE_SMTP_PASSWORD"), startTls);
    }
    Path ca = null;
    String caFile = env.get("VAULTGATE_NOTIFY_CA_FILE");
    if (caFile != null && !caFile.isBlank()) {
      ca = Path.of(caFile);
      if (!Files.isReadable(ca)) {
        throw new IllegalArgumentException("VAULTGATE_NOTIFY_CA_FILE " + caFile + ": expected a readable PEM file");
      }
    }
    return new NotifyConfig(Duration.ofMillis(number(env, "VAULTGATE_NOTIFY_POLL_MS", 1000)),
        (int) number(env, "VAULTGATE_NOTIFY_BATCH", 32),
        Duration.ofMillis(number(env, "VAULTGATE_NOTIFY_TIMEOUT_MS", 10_000)), retry, smtp, ca, publicUrl(env));
  }

  private static String publicUrl(Map<String, String> env) {
    String url = env.get("VAULTGATE_PUBLIC_URL");
    if (url == null || url.isBlank()) return null;
    if (!url.matches("https?://[^/\\s]+/?")) {
      throw new IllegalArgumentException("VAULTGATE_PUBLIC_URL " + url + ": expected http(s)://HOST[:PORT]");
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static long number(Map<String, String> env, String key, long otherwise) {
    String v = env.get(key);
    if (v == null || v.isBlank()) return otherwise;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " " + v + ": expected a whole number");
    }
  }
}
