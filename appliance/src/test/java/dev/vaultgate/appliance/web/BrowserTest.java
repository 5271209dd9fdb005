package dev.vaultgate.appliance.web;

import dev.vaultgate.appliance.Appliance;
import dev.vaultgate.appliance.ApplianceFixture;
import dev.vaultgate.appliance.volumes.SlowBlockSource;
import dev.vaultgate.vault.backup.FileBlockSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web UI in a real browser (headless Chromium through chromedriver): log in, start a backup of a local volume
 * and watch its progress move to completion, then stop the S3 server and watch its health turn red. The backup
 * runs through the real vault engine into the real S3 server; the volume is read at 12 MiB/s so there is
 * progress to watch.
 */
class BrowserTest {
  @TempDir
  Path dir;

  @Test
  void adminLogsInSeesBackupProgressMoveAndSeesUnreachableS3TurnRed() throws Exception {
    Appliance.Options options = Appliance.Options.defaults().withHealthInterval(Duration.ofMillis(300))
        .withOpener(p -> new SlowBlockSource(FileBlockSource.open(p), 12L << 20));
    try (ApplianceFixture fx = new ApplianceFixture(dir, 48, options); WebDriver browser = new WebDriver(dir.resolve("chromium-profile"))) {
      browser.open(fx.baseUrl() + "/");
      assertTrue(browser.currentUrl().endsWith("/login"), browser.currentUrl());
      browser.type("#password", ApplianceFixture.PASSWORD);
      browser.click("#login");
      browser.waitFor("return document.getElementById('gateway-name') && document.getElementById('gateway-name').textContent",
          "test-gw"::equals, Duration.ofSeconds(20), "the gateway page after login");
      browser.waitFor("return document.getElementById('live').textContent", "live"::equals, Duration.ofSeconds(10), "the live event stream");
      browser.waitFor("var e = document.getElementById('health-s3'); return e && e.dataset.status", "UP"::equals,
          Duration.ofSeconds(20), "S3 shown as up");

      browser.click("button[data-backup='db']");
      Set<String> seen = new LinkedHashSet<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      String state = null;
      while (System.nanoTime() < deadline) {
        // One script reads the row, so the job cannot end between reading its percent and its throughput.
        Object row = browser.script("var r = document.querySelector('#running-jobs tr[data-job]');"
            + " return r && [r.querySelector('.percent').textContent, r.querySelector('.throughput').textContent]");
        if (row instanceof io.vertx.core.json.JsonArray cells) {
          seen.add(cells.getString(0));
          assertTrue(cells.getString(1).endsWith("/s"), "throughput shown: " + cells.getString(1));
        }
        state = (String) browser.script("var s = document.querySelector('#recent-jobs tr[data-job] .state'); return s && s.textContent");
        if (state != null) {
          break;
        }
        Thread.sleep(100);
      }
      assertEquals("COMPLETED", state, "the job ended, and the page shows it among recent jobs");
      long between = seen.stream().map(s -> Integer.parseInt(s.replace("%", ""))).filter(p -> p > 0 && p < 100).distinct().count();
      assertTrue(between >= 2, "the running job's progress moved on the page: " + seen);
      assertEquals(Boolean.TRUE, browser.script("return document.getElementById('no-running').hidden === false"));

      fx.stopS3();
      browser.waitFor("var e = document.getElementById('health-s3'); return e && e.dataset.status", "DOWN"::equals,
          Duration.ofSeconds(30), "S3 shown as down");
      assertEquals("rgb(192, 57, 43)", browser.script("return getComputedStyle(document.getElementById('health-s3')).backgroundColor"),
          "red");
      String error = (String) browser.script("return document.querySelector('#health-s3 .error').textContent");
      assertTrue(error.startsWith("last error at "), error);
    }
  }
}
