package dev.vaultgate.appliance.web;

import dev.vaultgate.appliance.Appliance;
import dev.vaultgate.appliance.ApplianceFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import io.vertx.core.json.JsonObject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The web UI over real HTTPS with the JDK's HTTP client: login, cookie flags, what needs a session, /health. */
class WebUiTest {
  @TempDir
  static Path dir;
  static ApplianceFixture fx;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    fx = new ApplianceFixture(dir, 1, Appliance.Options.defaults().withHealthInterval(Duration.ofMillis(300)));
    // The UI's certificate is self-signed until the gateway registers: trust it for this test only.
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, new TrustManager[] {new X509TrustManager() {
      public void checkClientTrusted(X509Certificate[] c, String a) { }

      public void checkServerTrusted(X509Certificate[] c, String a) { }

      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, new SecureRandom());
    http = HttpClient.newBuilder().sslContext(ssl).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  static HttpResponse<String> get(String path, String cookie) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fx.baseUrl() + path)).timeout(Duration.ofSeconds(10));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String cookie, String origin, String form) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fx.baseUrl() + path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    if (origin != null) {
      b.header("Origin", origin);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String login() throws Exception {
    HttpResponse<String> r = post("/login", null, null, "password=" + java.net.URLEncoder.encode(ApplianceFixture.PASSWORD, "UTF-8"));
    assertEquals(303, r.statusCode());
    String setCookie = r.headers().firstValue("set-cookie").orElseThrow();
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  @Test
  void healthNeedsNoLoginAndReportsEachCheck() throws Exception {
    HttpResponse<String> r = get("/health", null);
    JsonObject body = new JsonObject(r.body());
    assertEquals("test-gw", body.getString("gateway"));
    assertEquals(3, body.getJsonArray("checks").size(), body.encode());
    // No coordinator runs here (and the gateway is not registered): the gateway is degraded and says so with 503.
    assertEquals(503, r.statusCode());
    assertEquals("DEGRADED", body.getString("status"));
  }

  @Test
  void pagesAndApiNeedALogin() throws Exception {
    HttpResponse<String> page = get("/", null);
    assertEquals(302, page.statusCode());
    assertEquals("/login", page.headers().firstValue("location").orElseThrow());
    assertEquals(401, get("/api/state", null).statusCode());
    assertEquals(401, get("/api/state", "vaultgate_session=forged").statusCode());
    assertEquals(200, get("/login", null).statusCode());
  }

  @Test
  void wrongPasswordGetsNoSession() throws Exception {
    HttpResponse<String> r = post("/login", null, null, "password=guess");
    assertEquals(303, r.statusCode());
    assertEquals("/login?failed=1", r.headers().firstValue("location").orElseThrow());
    assertTrue(r.headers().allValues("set-cookie").isEmpty());
  }

  @Test
  void rightPasswordGivesAnHttpOnlySecureStrictCookieThatOpensTheApiUntilLogout() throws Exception {
    HttpResponse<String> r = post("/login", null, null, "password=" + java.net.URLEncoder.encode(ApplianceFixture.PASSWORD, "UTF-8"));
    String setCookie = r.headers().firstValue("set-cookie").orElseThrow();
    List<String> flags = List.of(setCookie.toLowerCase().split(";\\s*"));
    assertTrue(flags.contains("httponly") && flags.contains("secure") && flags.contains("samesite=strict"), setCookie);
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    HttpResponse<String> state = get("/api/state", cookie);
    assertEquals(200, state.statusCode());
    JsonObject s = new JsonObject(state.body());
    assertEquals("test-gw", s.getJsonObject("gateway").getString("name"));
    assertEquals("db", s.getJsonArray("resources").getJsonObject(0).getString("name"));
    assertEquals("08:00", s.getJsonObject("bandwidth").getJsonArray("schedule").getJsonObject(0).getString("start"));
    assertEquals(200, get("/", cookie).statusCode());
    assertEquals(303, post("/logout", cookie, fx.baseUrl(), "").statusCode());
    assertEquals(401, get("/api/state", cookie).statusCode());
  }

  @Test
  void stateChangingCallFromAnotherOriginIsRefused() throws Exception {
    String cookie = login();
    HttpResponse<String> r = post("/api/volumes/db/backup", cookie, "https://evil.example", "");
    assertEquals(403, r.statusCode());
    assertEquals(0, fx.appliance.jobs().snapshot().size(), "no job was started");
    assertEquals(404, post("/api/volumes/nope/backup", cookie, fx.baseUrl(), "").statusCode());
  }

  @Test
  void blockDevicesAreDiscoveredWithLsblk() throws Exception {
    HttpResponse<String> r = get("/api/devices", login());
    assertEquals(200, r.statusCode(), r.body());
    var devices = new JsonObject(r.body()).getJsonArray("devices");
    assertTrue(devices.size() > 0, r.body());
    // what the kernel itself lists: every hardware disk in /sys/block (one with a device behind it: not loop, zram or
    // device-mapper nodes, whose lsblk names differ) that holds data is among them, with its path and size
    try (var sys = java.nio.file.Files.list(java.nio.file.Path.of("/sys/block"))) {
      for (java.nio.file.Path dev : sys.filter(d -> java.nio.file.Files.exists(d.resolve("device"))).toList()) {
        String name = dev.getFileName().toString();
        long bytes = Long.parseLong(java.nio.file.Files.readString(dev.resolve("size")).trim()) * 512;
        if (bytes == 0) {
          continue;
        }
        assertTrue(devices.stream().map(JsonObject.class::cast).anyMatch(d -> name.equals(d.getString("name"))
            && ("/dev/" + name).equals(d.getString("path")) && d.getLong("sizeBytes") == bytes),
            name + " (" + bytes + " bytes) in " + r.body());
      }
    }
  }
}
