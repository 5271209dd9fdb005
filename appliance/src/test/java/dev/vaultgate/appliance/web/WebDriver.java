package dev.vaultgate.appliance.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * A headless Chromium driven by Debian's chromedriver over the W3C WebDriver protocol, with the JDK's HTTP client
 * (no Selenium). Enough of the protocol for the UI test: navigate, find, type, click, run a script.
 */
final class WebDriver implements AutoCloseable {
  static final String CHROMIUM = "/usr/bin/chromium";
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

  private final Process driver;
  private final HttpClient http = HttpClient.newHttpClient();
  private final String base;
  private final String session;

  WebDriver(Path profileDir) throws Exception {
    if (!Files.isExecutable(Path.of(CHROMIUM)) || !Files.isExecutable(Path.of(CHROMEDRIVER))) {
      throw new IllegalStateException("the browser test needs Debian's chromium and chromium-driver: "
          + "apt-get install chromium chromium-driver (scripts/test installs them)");
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    driver = new ProcessBuilder(CHROMEDRIVER, "--port=" + port).redirectErrorStream(true)
        .redirectOutput(profileDir.resolveSibling("chromedriver.log").toFile()).start();
    base = "http://127.0.0.1:" + port;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        if (call("GET", "/status", null).getJsonObject("value").getBoolean("ready", false)) {
          break;
        }
      } catch (IOException notYet) {
        // chromedriver is starting
      }
      if (System.nanoTime() > deadline) {
        driver.destroyForcibly();
        throw new IllegalStateException("chromedriver did not start on port " + port);
      }
      Thread.sleep(100);
    }
    JsonArray args = new JsonArray().add("--headless").add("--no-sandbox").add("--disable-gpu").add("--disable-dev-shm-usage")
        .add("--disable-background-networking").add("--disable-component-update").add("--no-first-run")
        .add("--ignore-certificate-errors").add("--user-data-dir=" + profileDir).add("--window-size=1280,1000");
    JsonObject caps = new JsonObject().put("capabilities", new JsonObject().put("alwaysMatch", new JsonObject()
        .put("browserName", "chrome").put("acceptInsecureCerts", true)
        .put("goog:chromeOptions", new JsonObject().put("binary", CHROMIUM).put("args", args))));
    session = call("POST", "/session", caps).getJsonObject("value").getString("sessionId");
  }

  private JsonObject call(String method, String path, JsonObject body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonObject json = new JsonObject(r.body());
    if (r.statusCode() >= 400) {
      throw new IllegalStateException("WebDriver " + method + " " + path + ": " + json.getJsonObject("value", new JsonObject()).getString("message"));
    }
    return json;
  }

  private String s(String path) {
    return "/session/" + session + path;
  }

  void open(String url) throws Exception {
    call("POST", s("/url"), new JsonObject().put("url", url));
  }

  String element(String css) throws Exception {
    return call("POST", s("/element"), new JsonObject().put("using", "css selector").put("value", css))
        .getJsonObject("value").getString(ELEMENT);
  }

  void type(String css, String text) throws Exception {
    call("POST", s("/element/" + element(css) + "/value"), new JsonObject().put("text", text));
  }

  /** Clicks the element {@code css} finds; found again if the page re-rendered it between finding and clicking. */
  void click(String css) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        call("POST", s("/element/" + element(css) + "/click"), new JsonObject());
        return;
      } catch (IllegalStateException e) {
        if (attempt == 5 || !e.getMessage().contains("stale element")) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  Object script(String js) throws Exception {
    return call("POST", s("/execute/sync"), new JsonObject().put("script", js).put("args", new JsonArray())).getValue("value");
  }

  String currentUrl() throws Exception {
    return call("GET", s("/url"), null).getString("value");
  }

  /** Polls {@code js} every 50 ms until {@code done} accepts its value; returns that value. */
  Object waitFor(String js, Predicate<Object> done, Duration timeout, String what) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object v = null;
    while (System.nanoTime() < deadline) {
      v = script(js);
      if (done.test(v)) {
        return v;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last value: " + v);
  }

  @Override
  public void close() {
    try {
      call("DELETE", s(""), null);
    } catch (Exception ignored) {
      // the browser goes with the driver below
    }
    driver.destroy();
  }
}
