package dev.vaultgate.appliance.web;

import dev.vaultgate.appliance.Appliance;
import dev.vaultgate.appliance.ApplianceFixture;
import dev.vaultgate.appliance.volumes.SlowBlockSource;
import dev.vaultgate.vault.backup.FileBlockSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.agent.testing.TestDisks;
import dev.vaultgate.appliance.RealCoordinator;
import dev.vaultgate.appliance.Registration;
import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.config.PasswordHash;
import dev.vaultgate.vault.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.GatewayType;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web UI in a real browser (headless Chromium through chromedriver): log in, start a backup of a local volume
 * and watch its progress move to completion, then stop the S3 server and watch its health turn red. The backup
 * runs through the real vault engine into the real S3 server; the volume is read at 12 MiB/s so there is
 * progress to watch. Then a joined gateway with a vCenter (the simulator) associated through the coordinator: the
 * vCenter check turns green, the VM is listed with its disk, a VM backup started through the AWS API shows on the
 * job board with live progress, throughput and ETA, and a vCenter that stops answering turns red with its error.
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

  @Test
  void vmJobsShowWithLiveProgressBesideVcenterHealthAndTheProtectedVmsWithTheirDisks() throws Exception {
    ConnectedVcsim vc = ConnectedVcsim.start(16, "--vms", "1");
    RealCoordinator coordinator = new RealCoordinator(dir, "file://" + Files.createDirectories(dir.resolve("vaults")));
    Vertx vertx = Vertx.vertx();
    Appliance appliance = null;
    try (WebDriver browser = new WebDriver(dir.resolve("chromium-profile-vm"))) {
      int webPort;
      try (ServerSocket s = new ServerSocket(0)) {
        webPort = s.getLocalPort();
      }
      Path data = dir.resolve("data");
      ApplianceConfig config = new ApplianceConfig("vm-gw", coordinator.gatewayEndpoint(), data,
          new ApplianceConfig.Vault("file://" + Files.createDirectories(dir.resolve("own-vault")), dir.resolve("master.key")),
          Optional.empty(), new ApplianceConfig.Tls(data.resolve("tls/gateway.crt"), data.resolve("tls/gateway.key"),
          data.resolve("tls/coordinator-ca.crt")),
          new ApplianceConfig.WebUi("127.0.0.1", webPort, PasswordHash.create(ApplianceFixture.PASSWORD.toCharArray(), 10_000).encode()),
          2, List.of(), ApplianceConfig.Bandwidth.UNLIMITED);
      BackupGatewayClient admin = coordinator.gatewayApi();
      Registration.Registered joined = Await.await(vertx, () -> Registration.register(vertx, config, coordinator.endpoint(), a ->
          CompletableFuture.runAsync(() -> admin.createGateway(r -> r.activationKey(a.activationKey())
              .gatewayDisplayName("vm-gw").gatewayType(GatewayType.BACKUP_VM))), Duration.ofMillis(200)), Duration.ofSeconds(60));
      Appliance running = Await.await(vertx, () -> Appliance.start(vertx, config,
          Appliance.Options.defaults().withHealthInterval(Duration.ofMillis(300))), Duration.ofSeconds(60));
      appliance = running;
      String hypervisor = admin.importHypervisorConfiguration(r -> r.name("vcenter").host(vc.vcsim.hostPort())
          .username(vc.vcsim.user()).password(vc.vcsim.password())).hypervisorArn();
      admin.associateGatewayToServer(r -> r.gatewayArn(joined.gatewayArn()).serverArn(hypervisor));

      browser.open("https://127.0.0.1:" + running.webPort() + "/");
      browser.type("#password", ApplianceFixture.PASSWORD);
      browser.click("#login");
      browser.waitFor("var e = document.getElementById('health-vcenter'); return e && e.dataset.status", "UP"::equals,
          Duration.ofSeconds(60), "vCenter shown as up once the coordinator associated it");
      String vmRow = "document.querySelector(\"#resource-list tr[data-kind='VirtualMachine'][data-name='DC0_H0_VM0']\")";
      browser.waitFor("var r = " + vmRow + "; return r && r.querySelector('.volumes').textContent", v -> String.valueOf(v).contains("16.0 MiB"),
          Duration.ofSeconds(30), "the protected VM listed with its 16 MiB disk");

      // a VM backup through the AWS API, its reads held to 2 MiB/s so there is progress to watch
      Path flat = vc.vcsim.datastoreFile(Await.await(vc.vertx, () -> vc.client.vm("DC0_H0_VM0"), Duration.ofSeconds(30))
          .hardware().disks().get(0).file().flatExtent().path());
      TestDisks.writeRandomBlocks(flat, 3, LongStream.range(0, 256).toArray());
      running.agent().setBandwidthLimit(2L << 20);
      String vmArn = running.agent().protectedVms().stream().filter(v -> v.getString("name").equals("DC0_H0_VM0")).findFirst()
          .orElseThrow().getString("resourceArn");
      BackupClient backup = coordinator.backupApi();
      backup.createBackupVault(r -> r.backupVaultName("vms"));
      backup.startBackupJob(r -> r.backupVaultName("vms").resourceArn(vmArn)
          .iamRoleArn("arn:aws:iam::" + coordinator.key.accountId() + ":role/backup"));

      Set<String> seen = new LinkedHashSet<>();
      boolean etaShown = false;
      String state = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline) {
        Object row = browser.script("var r = [...document.querySelectorAll('#running-jobs tr[data-job]')]"
            + ".find(r => r.children[2].textContent === 'DC0_H0_VM0');"
            + " return r && [r.children[1].textContent, r.querySelector('.percent').textContent, r.querySelector('.throughput').textContent,"
            + " r.querySelector('.eta').textContent]");
        if (row instanceof JsonArray cells) {
          assertEquals("BACKUP", cells.getString(0));
          seen.add(cells.getString(1));
          assertTrue(cells.getString(2).endsWith("/s"), "throughput shown: " + cells.getString(2));
          etaShown |= cells.getString(3).endsWith(" s");
        }
        state = (String) browser.script("var r = [...document.querySelectorAll('#recent-jobs tr[data-job]')]"
            + ".find(r => r.children[2].textContent === 'DC0_H0_VM0'); return r && r.querySelector('.state').textContent");
        if (state != null) {
          break;
        }
        Thread.sleep(100);
      }
      assertEquals("COMPLETED", state, "the VM backup ended, and the page shows it among recent jobs");
      long between = seen.stream().map(p -> Integer.parseInt(p.replace("%", ""))).filter(p -> p > 0 && p < 100).distinct().count();
      assertTrue(between >= 2, "the VM job's progress moved on the page: " + seen);
      assertTrue(etaShown, "an ETA was shown while the VM job ran");

      vc.vcsim.close(); // vCenter stops answering
      browser.waitFor("var e = document.getElementById('health-vcenter'); return e && e.dataset.status", "DOWN"::equals,
          Duration.ofSeconds(60), "vCenter shown as down");
      String error = (String) browser.script("return document.querySelector('#health-vcenter .error').textContent");
      assertTrue(error.startsWith("last error at ") && error.contains("vCenter"), error);
    } finally {
      if (appliance != null) {
        Appliance a = appliance;
        Await.await(vertx, a::close, Duration.ofSeconds(60));
      }
      vertx.close().toCompletionStage().toCompletableFuture().join();
      coordinator.close();
      vc.vertx.close().toCompletionStage().toCompletableFuture().join();
      vc.vcsim.close();
    }
  }
}
