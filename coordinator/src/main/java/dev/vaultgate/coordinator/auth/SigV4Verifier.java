package dev.vaultgate.coordinator.auth;

import dev.vaultgate.coordinator.wire.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies AWS Signature Version 4 ({@code AWS4-HMAC-SHA256} in the Authorization header) the
 * way AWS does for services other than S3: the canonical URI is the request's raw path,
 * dot-segments removed, URI-encoded once more (so {@code arn%3Aaws} is signed as
 * {@code arn%253Aaws}); the payload hash is {@code x-amz-content-sha256} when sent, else the
 * SHA-256 of the body; a request time more than 15 minutes from now is refused.
 *
 * <p>Verification is in two steps around the key lookup: {@link #parse} checks everything that
 * needs no secret, {@link #verify} checks the signature with the key's secret.
 */
public final class SigV4Verifier {

  public static final String ALGORITHM = "AWS4-HMAC-SHA256";
  public static final Duration MAX_SKEW = Duration.ofMinutes(15);

  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final String BAD_SIGNATURE =
      "The request signature we calculated does not match the signature you provided. Check"
          + " your AWS Secret Access Key and signing method. Consult the service documentation"
          + " for details.";

  /** The parts of an HTTP request that a signature covers. Header names are lower case. */
  public record SignedRequest(
      String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body) {

    String header(String name) {
      List<String> values = headers.get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }
  }

  /** A parsed, not yet verified, Authorization header. */
  public record Authorization(
      String accessKeyId,
      String scopeDate,
      String region,
      String service,
      List<String> signedHeaders,
      String signature,
      String amzDate) {

    String scope() {
      return scopeDate + "/" + region + "/" + service + "/aws4_request";
    }
  }

  private final String service;
  private final String region;

  public SigV4Verifier(String service, String region) {
    this.service = service;
    this.region = region;
  }

  /** Checks the Authorization header's form, its scope and the request time. */
  public Authorization parse(SignedRequest request, Instant now) {
    String header = request.header("authorization");
    if (header == null || header.isBlank()) {
      throw ApiException.withStatus(
          "MissingAuthenticationTokenException", 403, "Missing Authentication Token");
    }
    header = header.trim();
    if (!header.startsWith(ALGORITHM + " ")) {
      throw incomplete("Unsupported Authorization Type", header);
    }
    String credential = null;
    String signedHeaders = null;
    String signature = null;
    for (String part : header.substring(ALGORITHM.length()).split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq < 0) continue;
      String key = p.substring(0, eq).trim();
      String value = p.substring(eq + 1).trim();
      switch (key) {
        case "Credential" -> credential = value;
        case "SignedHeaders" -> signedHeaders = value;
        case "Signature" -> signature = value;
        default -> { }
      }
    }
    if (credential == null) throw incomplete("Authorization header requires 'Credential' parameter.", header);
    if (signedHeaders == null) throw incomplete("Authorization header requires 'SignedHeaders' parameter.", header);
    if (signature == null) throw incomplete("Authorization header requires 'Signature' parameter.", header);
    String[] scope = credential.split("/");
    if (scope.length != 5 || !"aws4_request".equals(scope[4])) {
      throw incomplete(
          "Credential should be scoped to a valid region, service and aws4_request terminator.", header);
    }
    List<String> headerNames = Arrays.asList(signedHeaders.toLowerCase(Locale.ROOT).split(";"));
    if (!headerNames.contains("host")) {
      throw ApiException.withStatus(
          "InvalidSignatureException", 403, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }

    String amzDate = request.header("x-amz-date");
    Instant requestTime;
    if (amzDate != null) {
      try {
        requestTime = Instant.from(AMZ_DATE.parse(amzDate));
      } catch (DateTimeParseException e) {
        throw incomplete("Date must be in ISO-8601 'basic format'. Got '" + amzDate + "'.", header);
      }
    } else if (request.header("date") != null) {
      try {
        requestTime =
            ZonedDateTime.parse(request.header("date"), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        amzDate = AMZ_DATE.format(requestTime);
      } catch (DateTimeParseException e) {
        throw incomplete("Date must be in RFC 1123 format. Got '" + request.header("date") + "'.", header);
      }
    } else {
      throw incomplete(
          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", header);
    }

    if (requestTime.isBefore(now.minus(MAX_SKEW))) {
      throw ApiException.withStatus(
          "InvalidSignatureException",
          403,
          "Signature expired: " + amzDate + " is now earlier than "
              + AMZ_DATE.format(now.minus(MAX_SKEW)) + " (" + AMZ_DATE.format(now) + " - 15 min.)");
    }
    if (requestTime.isAfter(now.plus(MAX_SKEW))) {
      throw ApiException.withStatus(
          "InvalidSignatureException",
          403,
          "Signature not yet current: " + amzDate + " is still later than "
              + AMZ_DATE.format(now.plus(MAX_SKEW)) + " (" + AMZ_DATE.format(now) + " + 15 min.)");
    }
    if (!amzDate.startsWith(scope[1])) {
      throw ApiException.withStatus(
          "InvalidSignatureException",
          403,
          "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"
              + scope[1] + "' != '" + amzDate.substring(0, Math.min(8, amzDate.length())) + "'");
    }
    if (!region.equals(scope[2])) {
      throw ApiException.withStatus(
          "InvalidSignatureException", 403, "Credential should be scoped to a valid region. ");
    }
    if (!service.equals(scope[3])) {
      throw ApiException.withStatus(
          "InvalidSignatureException", 403, "Credential should be scoped to correct service: '" + service + "'. ");
    }
    return new Authorization(scope[0], scope[1], scope[2], scope[3], headerNames, signature, amzDate);
  }

  /** Checks the signature with the secret of the key the request names. */
  public void verify(SignedRequest request, Authorization auth, String secretAccessKey) {
    String canonical = canonicalRequest(request, auth.signedHeaders());
    String stringToSign =
        ALGORITHM + "\n" + auth.amzDate() + "\n" + auth.scope() + "\n" + hex(sha256(utf8(canonical)));
    byte[] key = hmac(utf8("AWS4" + secretAccessKey), auth.scopeDate());
    key = hmac(key, auth.region());
    key = hmac(key, auth.service());
    key = hmac(key, "aws4_request");
    byte[] expected = hmac(key, stringToSign);
    byte[] given;
    try {
      given = HexFormat.of().parseHex(auth.signature());
    } catch (IllegalArgumentException e) {
      given = new byte[0];
    }
    if (!MessageDigest.isEqual(expected, given)) {
      throw ApiException.withStatus("InvalidSignatureException", 403, BAD_SIGNATURE);
    }
  }

  /** The SigV4 canonical request; package-visible so tests can hold it against AWS's examples. */
  static String canonicalRequest(SignedRequest request, List<String> signedHeaders) {
    StringBuilder sb = new StringBuilder();
    sb.append(request.method()).append('\n');
    sb.append(canonicalUri(request.rawPath())).append('\n');
    sb.append(canonicalQuery(request.rawQuery())).append('\n');
    for (String name : signedHeaders) {
      List<String> values = request.headers().getOrDefault(name, List.of());
      List<String> trimmed = new ArrayList<>(values.size());
      for (String v : values) trimmed.add(canonicalValue(v));
      sb.append(name).append(':').append(String.join(",", trimmed)).append('\n');
    }
    sb.append('\n').append(String.join(";", signedHeaders)).append('\n');
    String payloadHash = request.header("x-amz-content-sha256");
    if (payloadHash == null) {
      payloadHash = hex(sha256(request.body()));
    } else if (!"UNSIGNED-PAYLOAD".equals(payloadHash)
        && !payloadHash.equalsIgnoreCase(hex(sha256(request.body())))) {
      throw ApiException.withStatus(
          "InvalidSignatureException", 403, "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    sb.append(payloadHash);
    return sb.toString();
  }

  static String canonicalUri(String rawPath) {
    if (rawPath == null || rawPath.isEmpty()) return "/";
    return encode(removeDotSegments(rawPath), false);
  }

  static String canonicalQuery(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) return "";
    List<String[]> pairs = new ArrayList<>();
    for (String part : rawQuery.split("&")) {
      if (part.isEmpty()) continue;
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq);
      String v = eq < 0 ? "" : part.substring(eq + 1);
      pairs.add(new String[] {encode(percentDecode(k), true), encode(percentDecode(v), true)});
    }
    pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
    StringBuilder sb = new StringBuilder();
    for (String[] p : pairs) {
      if (sb.length() > 0) sb.append('&');
      sb.append(p[0]).append('=').append(p[1]);
    }
    return sb.toString();
  }

  /** RFC 3986 dot-segment removal on a raw (still encoded) path, as java.net.URI#normalize. */
  static String removeDotSegments(String path) {
    if (!path.contains("/.") && !path.startsWith(".")) return path;
    boolean trailing = path.endsWith("/") || path.endsWith("/.") || path.endsWith("/..");
    List<String> out = new ArrayList<>();
    for (String seg : path.split("/")) {
      if (seg.isEmpty() || seg.equals(".")) continue;
      if (seg.equals("..")) {
        if (!out.isEmpty()) out.remove(out.size() - 1);
        continue;
      }
      out.add(seg);
    }
    String joined = "/" + String.join("/", out);
    return trailing && !joined.endsWith("/") ? joined + "/" : joined;
  }

  /** URI-encodes every byte but the unreserved characters (and '/' unless asked). */
  static String encode(String s, boolean encodeSlash) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash)) {
        sb.append(c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  /** Decodes %XX escapes (not '+'); a malformed escape is kept as text. */
  public static String percentDecode(String s) {
    if (s.indexOf('%') < 0) return s;
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()
          && Character.digit(s.charAt(i + 1), 16) >= 0 && Character.digit(s.charAt(i + 2), 16) >= 0) {
        out.write((Character.digit(s.charAt(i + 1), 16) << 4) + Character.digit(s.charAt(i + 2), 16));
        i += 3;
      } else {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != '%') j++;
        out.writeBytes(s.substring(i, j).getBytes(StandardCharsets.UTF_8));
        i = j;
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static ApiException incomplete(String message, String header) {
    return ApiException.withStatus("IncompleteSignatureException", 400, message + " Authorization=" + header);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(utf8(data));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  /**
   * A header value trimmed, runs of whitespace made one space. Most values have none to collapse:
   * they are returned without a regex (a {@code replaceAll} compiled its pattern per header).
   */
  static String canonicalValue(String v) {
    String t = v.trim();
    for (int i = 0, n = t.length(); i < n; i++) {
      char c = t.charAt(i);
      if (isSpace(c) && (c != ' ' || (i + 1 < n && isSpace(t.charAt(i + 1))))) {
        return WHITESPACE.matcher(t).replaceAll(" ");
      }
    }
    return t;
  }

  /** The characters of the regex class {@code \s}. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }
}
