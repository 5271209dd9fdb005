package dev.vaultgate.coordinator.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vaultgate.coordinator.auth.SigV4Verifier.SignedRequest;
import dev.vaultgate.coordinator.wire.ApiException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SigV4 against AWS's published test suite vectors and the non-S3 encoding rules. */
class SigV4VerifierTest {

  static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  static final Instant WHEN = Instant.parse("2015-08-30T12:36:00Z");

  static SignedRequest vanilla(String signature) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("host", List.of("example.amazonaws.com"));
    headers.put("x-amz-date", List.of("20150830T123600Z"));
    headers.put("authorization", List.of("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
        + " SignedHeaders=host;x-amz-date, Signature=" + signature));
    return new SignedRequest("GET", "/", "", headers, new byte[0]);
  }

  @Test
  void headerValuesAreTrimmedAndTheirWhitespaceRunsCollapsed() {
    assertEquals("a b", SigV4Verifier.canonicalValue("a b"));
    assertEquals("a b c", SigV4Verifier.canonicalValue("  a   b\t\n c  "));
    assertEquals("a b", SigV4Verifier.canonicalValue("a\tb"));
    assertEquals("a b", SigV4Verifier.canonicalValue("a \u000Bb"));
    assertEquals("", SigV4Verifier.canonicalValue("   "));
    assertEquals("plain", SigV4Verifier.canonicalValue("plain"));
  }

  @Test
  void awsGetVanillaVectorVerifies() {
    SigV4Verifier v = new SigV4Verifier("service", "us-east-1");
    SignedRequest req = vanilla("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    SigV4Verifier.Authorization auth = v.parse(req, WHEN);
    assertEquals("AKIDEXAMPLE", auth.accessKeyId());
    assertDoesNotThrow(() -> v.verify(req, auth, SECRET));
  }

  @Test
  void oneChangedSignatureDigitFails() {
    SigV4Verifier v = new SigV4Verifier("service", "us-east-1");
    SignedRequest req = vanilla("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf30");
    ApiException e = assertThrows(ApiException.class, () -> v.verify(req, v.parse(req, WHEN), SECRET));
    assertEquals("InvalidSignatureException", e.type());
    assertEquals(403, e.status());
  }

  @Test
  void canonicalUriEncodesAnAlreadyEncodedArnOnceMore() {
    assertEquals("/tags/arn%253Aaws%253Abackup%253Aus-east-1", SigV4Verifier.canonicalUri("/tags/arn%3Aaws%3Abackup%3Aus-east-1"));
    assertEquals("/backup/plans/abc/", SigV4Verifier.canonicalUri("/backup/plans/abc/"));
    assertEquals("/", SigV4Verifier.canonicalUri(""));
    assertEquals("/b/", SigV4Verifier.canonicalUri("/a/../b/"));
  }

  @Test
  void canonicalQuerySortsAndEncodesStrictly() {
    assertEquals("a=1&b=x%20y&maxResults=2&nextToken=A%2BB%3D",
        SigV4Verifier.canonicalQuery("nextToken=A%2BB%3D&maxResults=2&b=x%20y&a=1"));
    assertEquals("delete=", SigV4Verifier.canonicalQuery("delete"));
  }

  @Test
  void staleAndFutureRequestsAreRefusedWithAwsMessages() {
    SigV4Verifier v = new SigV4Verifier("service", "us-east-1");
    SignedRequest req = vanilla("00");
    ApiException expired = assertThrows(ApiException.class, () -> v.parse(req, WHEN.plusSeconds(15 * 60 + 1)));
    assertEquals("Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)",
        expired.getMessage());
    ApiException early = assertThrows(ApiException.class, () -> v.parse(req, WHEN.minusSeconds(15 * 60 + 1)));
    assertEquals("InvalidSignatureException", early.type());
    assertDoesNotThrow(() -> v.parse(req, WHEN.plusSeconds(15 * 60)));
  }

  @Test
  void wrongServiceOrRegionInTheScopeIsRefused() {
    assertThrows(ApiException.class, () -> new SigV4Verifier("backup", "us-east-1").parse(vanilla("00"), WHEN));
    assertThrows(ApiException.class, () -> new SigV4Verifier("service", "eu-west-1").parse(vanilla("00"), WHEN));
  }

  @Test
  void missingOrMalformedAuthorizationIsRefused() {
    SigV4Verifier v = new SigV4Verifier("service", "us-east-1");
    ApiException missing = assertThrows(ApiException.class,
        () -> v.parse(new SignedRequest("GET", "/", "", Map.of(), new byte[0]), WHEN));
    assertEquals("MissingAuthenticationTokenException", missing.type());
    ApiException incomplete = assertThrows(ApiException.class, () -> v.parse(new SignedRequest("GET", "/", "",
        Map.of("authorization", List.of("AWS4-HMAC-SHA256 Signature=abc")), new byte[0]), WHEN));
    assertEquals("IncompleteSignatureException", incomplete.type());
  }

  @Test
  void percentDecodingKeepsPlusAndDecodesUtf8() {
    assertEquals("a+b c/ü", SigV4Verifier.percentDecode("a+b%20c%2F%C3%BC"));
    assertEquals("100%", SigV4Verifier.percentDecode("100%"));
  }
}
