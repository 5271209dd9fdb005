package dev.vaultgate.coordinator.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The pure parts of notifications: retry timing, the webhook signature, endpoint validation, settings. */
class NotifyRulesTest {

  private final RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofHours(1));

  @Test
  void retriesBackOffExponentiallyWithinJitterUpToTheCap() {
    for (int attempt = 1; attempt <= 10; attempt++) {
      long ceiling = Math.min(60_000, 1000L << (attempt - 1));
      long low = policy.next(attempt, Duration.ZERO, () -> 0.0).orElseThrow().toMillis();
      long high = policy.next(attempt, Duration.ZERO, () -> 0.999999).orElseThrow().toMillis();
      assertEquals(ceiling / 2, low, "attempt " + attempt);
      assertTrue(high <= ceiling && high >= ceiling - 1, "attempt " + attempt + ": " + high);
    }
    assertEquals(30_000, policy.next(40, Duration.ZERO, () -> 0.0).orElseThrow().toMillis(), "no overflow");
  }

  @Test
  void aNotificationPastItsMaxAgeIsGivenUpAndTheLastWaitEndsAtTheMaxAge() {
    assertEquals(Optional.empty(), policy.next(3, Duration.ofHours(1), () -> 0.5));
    assertEquals(Duration.ofSeconds(2), policy.next(20, Duration.ofHours(1).minusSeconds(2), () -> 0.5).orElseThrow());
  }

  @Test
  void aSignatureVerifiesOnlyWithTheSameSecretBodyAndAFreshTimestamp() {
    String secret = WebhookSignature.newSecret();
    byte[] body = "{\"Type\":\"Notification\"}".getBytes(StandardCharsets.UTF_8);
    String header = WebhookSignature.header(secret, 1_700_000_000L, body);
    assertTrue(header.matches("t=1700000000,v1=[0-9a-f]{64}"), header);
    assertTrue(WebhookSignature.verify(secret, header, body, 1_700_000_100L, 300));
    assertFalse(WebhookSignature.verify(secret + "x", header, body, 1_700_000_100L, 300), "wrong secret");
    byte[] edited = body.clone();
    edited[3] ^= 1;
    assertFalse(WebhookSignature.verify(secret, header, edited, 1_700_000_100L, 300), "one flipped bit");
    assertFalse(WebhookSignature.verify(secret, header, body, 1_700_001_000L, 300), "replayed later");
    assertFalse(WebhookSignature.verify(secret, header.replace("t=1700000000", "t=1700000900"), body,
        1_700_000_900L, 300), "timestamp moved");
    assertFalse(WebhookSignature.verify(secret, "v1=zz", body, 1_700_000_000L, 300));
  }

  @Test
  void aKnownVectorMatchesHmacSha256OverTimestampDotBody() {
    // python3 -c 'import hmac,hashlib;print(hmac.new(b"whsec_test_secret_0123",b"1700000000.hello",hashlib.sha256).hexdigest())'
    String h = WebhookSignature.header("whsec_test_secret_0123", 1_700_000_000L, "hello".getBytes(StandardCharsets.UTF_8));
    assertEquals(KNOWN, h);
  }

  static final String KNOWN = "t=1700000000,v1=94d2c50d5fc33d688500c828bb8bd457dd3243e7960673bcf633b4d5e157db6a";

  @Test
  void endpointsAreCheckedPerProtocol() {
    assertNull(SubscriptionEndpoint.problem("https", "https://hooks.example.com/vaultgate"));
    assertNull(SubscriptionEndpoint.problem("http", "http://127.0.0.1:8081/x"));
    assertNull(SubscriptionEndpoint.problem("email", "ops@example.com"));
    assertNotNull(SubscriptionEndpoint.problem("https", "http://hooks.example.com/"));
    assertNotNull(SubscriptionEndpoint.problem("https", "not a url"));
    assertNotNull(SubscriptionEndpoint.problem("http", "http:///nohost"));
    assertNotNull(SubscriptionEndpoint.problem("email", "ops.example.com"));
    assertNotNull(SubscriptionEndpoint.problem("sqs", "arn:aws:sqs:us-east-1:000000000000:q"));
    assertNotNull(SubscriptionEndpoint.problem("email", null));
  }

  @Test
  void settingsComeFromTheEnvironmentAndABadValueNamesItsKey() {
    NotifyConfig c = NotifyConfig.fromEnvironment(Map.of("VAULTGATE_SMTP_HOST", "relay", "VAULTGATE_SMTP_PORT", "2525"));
    assertEquals("relay", c.smtp().host());
    assertEquals(2525, c.smtp().port());
    assertEquals(Duration.ofSeconds(1), c.pollInterval());
    assertNull(NotifyConfig.fromEnvironment(Map.of()).smtp());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NotifyConfig.fromEnvironment(Map.of("VAULTGATE_NOTIFY_POLL_MS", "soon")));
    assertTrue(e.getMessage().startsWith("VAULTGATE_NOTIFY_POLL_MS soon"), e.getMessage());
    IllegalArgumentException ca = assertThrows(IllegalArgumentException.class,
        () -> NotifyConfig.fromEnvironment(Map.of("VAULTGATE_NOTIFY_CA_FILE", "/nonexistent/ca.pem")));
    assertTrue(ca.getMessage().contains("/nonexistent/ca.pem"), ca.getMessage());
    IllegalArgumentException tls = assertThrows(IllegalArgumentException.class,
        () -> NotifyConfig.fromEnvironment(Map.of("VAULTGATE_SMTP_HOST", "relay", "VAULTGATE_SMTP_STARTTLS", "maybe")));
    assertTrue(tls.getMessage().startsWith("VAULTGATE_SMTP_STARTTLS MAYBE"), tls.getMessage());
  }
}
