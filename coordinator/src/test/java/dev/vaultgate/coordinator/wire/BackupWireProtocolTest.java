package dev.vaultgate.coordinator.wire;

import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupException;

/**
 * The generic wire layer seen from outside: signatures, framing, model validation and the AWS
 * error shape (x-amzn-ErrorType, code/message, status), never a stack trace.
 */
class BackupWireProtocolTest {

  static TestCoordinator env;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
  }

  static void assertAwsError(SignedHttp.Response r, int status, String type) {
    assertEquals(status, r.status(), r.body());
    assertEquals(type, r.header("x-amzn-ErrorType"));
    assertEquals(type, r.json().getString("code"));
    assertEquals(type, r.json().getString("__type"));
    assertNotNull(r.json().getString("message"));
    assertEquals(r.json().getString("message"), r.json().getString("Message"));
    assertNotNull(r.header("x-amzn-RequestId"));
    assertFalse(r.body().contains("\tat ") || r.body().contains("Exception:") || r.body().contains(".java"),
        "no stack trace in " + r.body());
  }

  @Test
  void malformedJsonIsSerializationException() {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup-vaults/" + unique("json"), "{\"BackupVaultTags\": ");
    assertAwsError(r, 400, "SerializationException");
  }

  @Test
  void aJsonBodyThatIsNotAnObjectIsSerializationException() {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup-vaults/" + unique("json"), "[1,2]");
    assertAwsError(r, 400, "SerializationException");
  }

  @Test
  void unknownBodyFieldIsInvalidParameterValue() {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup-vaults/" + unique("field"), "{\"Colour\":\"red\"}");
    assertAwsError(r, 400, "InvalidParameterValueException");
    assertTrue(r.json().getString("message").contains("Colour"));
  }

  @Test
  void unknownNestedFieldIsInvalidParameterValue() {
    String body = "{\"BackupPlan\":{\"BackupPlanName\":\"p\",\"Rules\":[{\"RuleName\":\"r\",\"TargetBackupVaultName\":\"vv\",\"Typo\":1}]}}";
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup/plans/", body);
    assertAwsError(r, 400, "InvalidParameterValueException");
    assertTrue(r.json().getString("message").contains("BackupPlan.Rules[0].Typo"), r.body());
  }

  @Test
  void wrongJsonTypeIsInvalidParameterValue() {
    String body = "{\"BackupPlan\":{\"BackupPlanName\":\"p\",\"Rules\":[{\"RuleName\":\"r\",\"TargetBackupVaultName\":\"vv\",\"StartWindowMinutes\":\"soon\"}]}}";
    assertAwsError(SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup/plans/", body), 400, "InvalidParameterValueException");
  }

  @Test
  void missingRequiredMemberIsMissingParameterValue() {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup/plans/", "{\"BackupPlan\":{\"BackupPlanName\":\"p\"}}");
    assertAwsError(r, 400, "MissingParameterValueException");
    assertTrue(r.json().getString("message").contains("BackupPlan.Rules"), r.body());
  }

  @Test
  void enumValueOutsideTheModelIsInvalidParameterValue() {
    assertAwsError(SignedHttp.send(env.endpoint(), env.admin(), "GET", "/backup-jobs/?state=SLEEPING", null),
        400, "InvalidParameterValueException");
  }

  @Test
  void bodyOverTheLimitIsRefusedWith413() {
    byte[] big = new byte[2 * 1024 * 1024];
    Arrays.fill(big, (byte) ' ');
    big[0] = '{';
    big[big.length - 1] = '}';
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup-vaults/" + unique("big"), big, Clock.systemUTC());
    assertAwsError(r, 413, "RequestEntityTooLargeException");
  }

  @Test
  void requestSignedFifteenMinutesAgoIsRefusedAsExpired() {
    Clock stale = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-16));
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "GET", "/backup-vaults/", null, stale);
    assertAwsError(r, 403, "InvalidSignatureException");
    assertTrue(r.json().getString("message").startsWith("Signature expired: "), r.body());
    assertTrue(r.json().getString("message").endsWith(" - 15 min.)"), r.body());
  }

  @Test
  void requestSignedInTheFutureIsRefused() {
    Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(16));
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "GET", "/backup-vaults/", null, ahead);
    assertAwsError(r, 403, "InvalidSignatureException");
    assertTrue(r.json().getString("message").startsWith("Signature not yet current: "), r.body());
  }

  @Test
  void requestWithinTheSkewIsAccepted() {
    Clock skewed = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-14));
    assertEquals(200, SignedHttp.send(env.endpoint(), env.admin(), "GET", "/backup-vaults/", null, skewed).status());
  }

  @Test
  void wrongSecretIsInvalidSignatureException() {
    AccessKey admin = env.admin();
    // another first character, whatever the random secret starts with (an 'x' made this test pass a wrong key's right secret)
    String wrongSecret = (admin.secretAccessKey().charAt(0) == 'x' ? "y" : "x") + admin.secretAccessKey().substring(1);
    try (BackupClient wrong = env.client(new AccessKey(admin.accessKeyId(), wrongSecret, admin.accountId()))) {
      BackupException e = assertThrows(BackupException.class, () -> wrong.listBackupVaults(r -> { }));
      assertEquals(403, e.statusCode());
      assertEquals("InvalidSignatureException", e.awsErrorDetails().errorCode());
    }
  }

  @Test
  void unknownAccessKeyIsUnrecognizedClientException() {
    try (BackupClient stranger = env.client(AccessKey.generate("000000000000"))) {
      BackupException e = assertThrows(BackupException.class, () -> stranger.listBackupVaults(r -> { }));
      assertEquals(403, e.statusCode());
      assertEquals("UnrecognizedClientException", e.awsErrorDetails().errorCode());
    }
  }

  @Test
  void forgedSignatureOfAKnownKeyIsInvalidSignatureException() throws Exception {
    String now = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
        .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.now());
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(env.endpoint() + "/backup-vaults/"))
        .version(HttpClient.Version.HTTP_1_1)
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=" + env.admin().accessKeyId() + "/" + now.substring(0, 8)
            + "/us-east-1/backup/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "ab".repeat(32))
        .header("X-Amz-Date", now)
        .GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertEquals(403, r.statusCode());
    assertEquals("InvalidSignatureException", r.headers().firstValue("x-amzn-ErrorType").orElse(null));
    assertTrue(r.body().contains("does not match the signature you provided"), r.body());
  }

  @Test
  void credentialScopedToAnotherRegionIsRefused() {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "GET", "/backup-vaults/", null, Clock.systemUTC(), "eu-west-1");
    assertAwsError(r, 403, "InvalidSignatureException");
    assertTrue(r.json().getString("message").contains("region"), r.body());
  }

  @Test
  void unsignedRequestIsMissingAuthenticationToken() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(env.endpoint() + "/backup-vaults/")).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    assertEquals(403, r.statusCode());
    assertEquals("MissingAuthenticationTokenException", r.headers().firstValue("x-amzn-ErrorType").orElse(null));
  }

  @Test
  void pathOfNoOperationIsUnknownOperation() {
    assertAwsError(SignedHttp.send(env.endpoint(), env.admin(), "GET", "/no/such/thing", null), 404, "UnknownOperationException");
  }

  @Test
  void operationOfTheModelNotBuiltYetAnswersNotImplemented() {
    assertAwsError(SignedHttp.send(env.endpoint(), env.admin(), "GET", "/backup/template/plans", null), 501, "NotImplementedException");
  }

  @Test
  void encodedDotSegmentsAreAVaultNameThatFailsThePattern() {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "GET", "/backup-vaults/%2E%2E", null);
    assertAwsError(r, 400, "InvalidParameterValueException");
  }

  @Test
  void encodedSlashesStayInsideOneVaultName() {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup-vaults/a%2F..%2F..%2Fb", "{}");
    assertAwsError(r, 400, "InvalidParameterValueException");
  }

  @Test
  void arnInThePathVerifiesAndRoutesToTheTaggedResource() {
    String name = unique("arnpath");
    String arn = "arn:aws:backup:us-east-1:000000000000:backup-vault:" + name;
    assertEquals(200, SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup-vaults/" + name, "{}").status());
    SignedHttp.Response tag = SignedHttp.send(env.endpoint(), env.admin(), "POST",
        "/tags/" + arn.replace(":", "%3A"), "{\"Tags\":{\"a\":\"b\"}}");
    assertEquals(200, tag.status(), tag.body());
    SignedHttp.Response list = SignedHttp.send(env.endpoint(), env.admin(), "GET", "/tags/" + arn.replace(":", "%3A") + "/", null);
    assertEquals("b", list.json().getJsonObject("Tags").getString("a"));
  }

  @Test
  void timestampsAreEpochSeconds() {
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup-vaults/" + unique("epoch"), "{}");
    Object date = r.json().getValue("CreationDate");
    assertTrue(date instanceof Number, r.body());
    double seconds = ((Number) date).doubleValue();
    assertTrue(Math.abs(seconds - System.currentTimeMillis() / 1000.0) < 60, r.body());
  }
}
