package dev.vaultgate.appliance;

import dev.vaultgate.agent.gateway.VaultAccess;
import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.config.PasswordHash;
import dev.vaultgate.appliance.volumes.LocalVolumeResources;
import dev.vaultgate.appliance.volumes.LvmSnapshotNames;
import dev.vaultgate.appliance.volumes.SlowBlockSource;
import dev.vaultgate.appliance.volumes.TestVolumeGroup;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.backup.RestoreJob;
import dev.vaultgate.vault.format.Manifest;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.VaultChecker;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.GatewayType;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The appliance's agent when things go wrong, against a real coordinator (embedded PostgreSQL, mutual TLS) and a
 * real file vault: a gateway killed mid-backup (frozen and cut off from the coordinator, as a process killed with
 * SIGKILL: no outcome reported, nothing cleaned up, no failure path run) resumes the job it held when it starts
 * again and uploads only what the first run did not, and for a VM first removes the snapshot the dead run left; a
 * coordinator unreachable when a job ends keeps the outcome queued on the gateway's disk, across a restart, and
 * reports it once it answers; in the maintenance window (PutMaintenanceStartTime, a movable clock) no job is taken
 * and the maintenance runs once (staging leftovers, a VM snapshot a crashed backup left in the vCenter
 * simulator, and an LVM snapshot one left in a real volume group are removed; an LVM leftover present at start is
 * removed at start).
 */
@Timeout(300)
class ApplianceResilienceTest {
  static final int MIB = 1 << 20;
  static final Set<String> ENDED = Set.of("COMPLETED", "FAILED", "ABORTED", "EXPIRED");

  @TempDir
  Path dir;
  RealCoordinator coordinator;
  Vertx vertx;
  BackupClient backup;
  byte[] data;
  Path image;

  @BeforeEach
  void setUp() throws Exception {
    coordinator = new RealCoordinator(dir, "file://" + Files.createDirectories(dir.resolve("vaults")));
    vertx = Vertx.vertx();
    backup = coordinator.backupApi();
    backup.createBackupVault(r -> r.backupVaultName("local"));
    data = new byte[48 * MIB]; // three 16 MiB packs of data that neither compresses nor dedups
    new Random(11).nextBytes(data);
    image = Files.write(dir.resolve("db.img"), data);
  }

  @AfterEach
  void tearDown() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
    coordinator.close();
  }

  <T> T await(Vertx on, Supplier<Future<T>> work) {
    return Await.await(on, work, Duration.ofSeconds(120));
  }

  static void waitFor(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(100);
    }
  }

  ApplianceConfig config(URI coordinatorUrl) throws IOException {
    Path data = dir.resolve("data");
    Path tls = data.resolve("tls");
    int webPort;
    try (ServerSocket s = new ServerSocket(0)) {
      webPort = s.getLocalPort();
    }
    Files.createDirectories(dir.resolve("own-vault"));
    return new ApplianceConfig("dc3-gw1", coordinatorUrl, data,
        new ApplianceConfig.Vault("file://" + dir.resolve("own-vault"), dir.resolve("master.key")), Optional.empty(),
        new ApplianceConfig.Tls(tls.resolve("gateway.crt"), tls.resolve("gateway.key"), tls.resolve("coordinator-ca.crt")),
        new ApplianceConfig.WebUi("127.0.0.1", webPort, PasswordHash.create("not used here".toCharArray(), 10_000).encode()), 2,
        List.of(new ApplianceConfig.LocalVolume("db", image, Map.of("backup", "daily"))), ApplianceConfig.Bandwidth.UNLIMITED);
  }

  Registration.Registered join(ApplianceConfig c) {
    BackupGatewayClient admin = coordinator.gatewayApi();
    return await(vertx, () -> Registration.register(vertx, c, coordinator.endpoint(), a ->
        CompletableFuture.runAsync(() -> admin.createGateway(r -> r.activationKey(a.activationKey())
            .gatewayDisplayName("dc3").gatewayType(GatewayType.BACKUP_VM))), Duration.ofMillis(200)));
  }

  /** The volume read at {@code bytesPerSecond}, so a backup lasts long enough to be interrupted. */
  static Appliance.Options slowReads(long bytesPerSecond) {
    return Appliance.Options.defaults().withHealthInterval(Duration.ofSeconds(1))
        .withOpener(p -> new SlowBlockSource(FileBlockSource.open(p), bytesPerSecond));
  }

  /**
   * A gateway process that dies: its volume reads block for good once {@link #kill} is called and its
   * connection to the coordinator is cut, so it neither progresses nor reports, as after SIGKILL; its failure
   * paths never run (closing its Vert.x would interrupt its workers and let them fail the job). Released at the
   * end of the test.
   */
  /** Where the doomed gateway's reads stop: the volume is 48 MiB, its first 16 MiB pack is stored long before. */
  static final long STALL_AT = 40L * MIB;

  final class DyingGateway implements AutoCloseable {
    final TcpCut link;
    final Vertx vertx = Vertx.vertx();
    final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
    volatile boolean dead;
    final Appliance appliance;

    DyingGateway(long bytesPerSecond) throws Exception {
      link = new TcpCut(coordinator.listenerPort);
      ApplianceConfig c = config(URI.create("https://localhost:" + link.port()));
      Appliance.Options options = Appliance.Options.defaults().withHealthInterval(Duration.ofSeconds(1))
          .withOpener(p -> {
            SlowBlockSource slow = new SlowBlockSource(FileBlockSource.open(p), bytesPerSecond);
            return new dev.vaultgate.vault.backup.BlockSource() {
              @Override
              public long size() throws IOException {
                return slow.size();
              }

              @Override
              public int read(long position, byte[] buf, int off, int len) throws IOException {
                // Past STALL_AT it reads no further until it is killed: the first run never ends before the kill,
                // however late in the volume the engine happens to store its first pack.
                if (dead || position >= STALL_AT) {
                  try {
                    released.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  throw new IOException("the gateway process is gone");
                }
                return slow.read(position, buf, off, len);
              }

              @Override
              public String describe() {
                return slow.describe();
              }

              @Override
              public void close() throws IOException {
                slow.close();
              }
            };
          });
      appliance = Await.await(vertx, () -> Appliance.start(vertx, c, options), Duration.ofSeconds(60));
    }

    void kill() {
      dead = true;
      link.cut();
      appliance.agent().setBandwidthLimit(1); // a VM's disk reads wait for good too
    }

    @Override
    public void close() throws Exception {
      released.countDown();
      vertx.close().toCompletionStage().toCompletableFuture().join();
      link.close();
    }
  }

  String startBackup(Registration.Registered joined) {
    String arn = LocalVolumeResources.arn("us-east-1", coordinator.key.accountId(), joined.gatewayId(), "db");
    String role = "arn:aws:iam::" + coordinator.key.accountId() + ":role/backup";
    return backup.startBackupJob(r -> r.backupVaultName("local").resourceArn(arn).iamRoleArn(role)).backupJobId();
  }

  DescribeBackupJobResponse job(String id) {
    return backup.describeBackupJob(r -> r.backupJobId(id));
  }

  Path vaultDir() {
    return dir.resolve("vaults").resolve(coordinator.key.accountId()).resolve("local");
  }

  long packBytes() throws IOException {
    Path packs = vaultDir().resolve("packs");
    if (!Files.isDirectory(packs)) return 0;
    try (Stream<Path> files = Files.walk(packs)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  long packFiles() throws IOException {
    Path packs = vaultDir().resolve("packs");
    if (!Files.isDirectory(packs)) return 0;
    try (Stream<Path> files = Files.walk(packs)) {
      return files.filter(f -> Files.isRegularFile(f) && !f.toString().endsWith(".vgtmp")).count();
    }
  }

  long indexSegments() throws IOException {
    Path index = vaultDir().resolve("index");
    if (!Files.isDirectory(index)) return 0;
    try (Stream<Path> files = Files.walk(index)) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  Path journalDir() {
    return dir.resolve("data").resolve("agent").resolve("jobs");
  }

  String journal() throws IOException {
    if (!Files.isDirectory(journalDir())) return "";
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.list(journalDir())) {
      for (Path f : files.toList()) all.append(Files.readString(f));
    }
    return all.toString();
  }

  /** Bytes of the packs the vault's index segments name, and of those none names (orphans). */
  long[] indexedAndOrphanedPackBytes() throws IOException {
    VaultAccess.Opened opened = await(vertx, () -> new VaultAccess(vertx, dir.resolve("master.key")).open("file://" + vaultDir()));
    try {
      await(vertx, () -> opened.repo().refreshIndex()); // a job's vault opens without its index
      Set<String> indexed = new java.util.HashSet<>();
      opened.repo().packsBySegment().values().forEach(indexed::addAll);
      long[] out = new long[2];
      try (Stream<Path> files = Files.walk(vaultDir().resolve("packs"))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          out[indexed.contains(f.getFileName().toString()) ? 0 : 1] += Files.size(f);
        }
      }
      return out;
    } finally {
      opened.close();
    }
  }

  /** Opens the vault as the gateway wrote it, checks every pack and restores the one point: the volume's bytes. */
  void vaultHoldsOnePointOfTheVolumeAndChecksClean() throws IOException {
    VaultAccess.Opened opened = await(vertx, () -> new VaultAccess(vertx, dir.resolve("master.key")).open("file://" + vaultDir()));
    try {
      List<Manifest> points = await(vertx, () -> opened.repo().loadAllPoints());
      assertEquals(1, points.size(), "one recovery point, no half-written one");
      CheckReport check = await(vertx, () -> VaultChecker.check(opened.repo(), true));
      assertTrue(check.ok(), "the vault checks clean: " + check.errors());
      Path restored = dir.resolve("restored.img");
      await(vertx, () -> RestoreJob.run(opened.repo(), points.get(0), restored, RestoreJob.Options.defaults()));
      assertArrayEquals(data, Files.readAllBytes(restored), "the point restores the volume byte for byte");
    } finally {
      opened.close();
    }
  }

  @Test
  void aGatewayKilledMidBackupResumesTheJobAfterARestartAndUploadsOnlyWhatTheFirstRunDidNot() throws Exception {
    ApplianceConfig c = config(coordinator.gatewayEndpoint());
    Registration.Registered joined = join(c);
    try (DyingGateway doomed = new DyingGateway(4L * MIB)) { // a 16 MiB pack every 4 s
    Appliance first = doomed.appliance;
    String jobId = startBackup(joined);
    // packs go first; an index segment names them once 65,536 chunks are stored (4 GiB) or at the end
    waitFor("the first 16 MiB packs in the vault", Duration.ofSeconds(60), () -> {
      try {
        return packFiles() >= 2;
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    assertEquals(Set.of(jobId), first.agent().runningJobs(), "killed while the job runs");
    assertTrue(journal().contains(jobId), "the job is journaled on the gateway's disk");
    doomed.kill(); // nothing reported, nothing cleaned up
    Thread.sleep(1_000); // uploads under way when it died end (the frozen gateway's storage still answers)
    long uploadedBeforeTheKill = packBytes();
    // Died before an index segment named its packs: the resumed job adopts those orphans (their headers verified)
    // instead of sending their blocks again.
    assertEquals(0, indexSegments(), "the dead run's packs are named by no index segment");
    assertEquals("RUNNING", job(jobId).state().toString(), "the coordinator still has the job leased to the gateway");

    ApplianceConfig again = config(coordinator.gatewayEndpoint()); // the same gateway; a fresh web UI port
    Appliance restarted = await(vertx, () -> Appliance.start(vertx, again, slowReads(64L * MIB)));
    try {
      waitFor("backup job " + jobId + " to end", Duration.ofSeconds(120), () -> ENDED.contains(job(jobId).state().toString()));
      DescribeBackupJobResponse done = job(jobId);
      assertEquals("COMPLETED", done.state().toString(), done.statusMessage());
      assertEquals(1, restarted.agent().jobsResumed(), "resumed from the journal, not leased again");
      Map<String, String> meta = backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName("local")
          .recoveryPointArn(done.recoveryPointArn())).restoreMetadata();
      long bytesNew = Long.parseLong(meta.get("vaultgate:bytesNew"));
      // bytesNew counts stored bytes (encrypted, with headers), a little more than the data they hold
      assertTrue(bytesNew < data.length - uploadedBeforeTheKill + MIB,
          "the resumed run uploads only what the first had not stored: " + bytesNew + " bytes after " + uploadedBeforeTheKill);
      assertTrue(bytesNew > 0, "and uploads what the first did not");
      long[] indexedAndOrphaned = indexedAndOrphanedPackBytes();
      assertTrue(indexedAndOrphaned[0] < data.length + MIB, "every block is in one pack the vault knows, none sent twice: "
          + indexedAndOrphaned[0] + " bytes of packs for " + data.length + " bytes of data");
      assertEquals(0, indexedAndOrphaned[1], "no orphan pack: the resumed job adopted those the dead run had not named");
      waitFor("the journal to be empty", Duration.ofSeconds(10), () -> {
        try {
          return journal().isEmpty();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
    } finally {
      await(vertx, restarted::close);
    }
    }
    vaultHoldsOnePointOfTheVolumeAndChecksClean();
  }

  @Test
  void anOutcomeTheCoordinatorCannotTakeIsQueuedOnDiskAndReportedAfterARestartWithoutRunningTheJobAgain() throws Exception {
    TcpCut proxy = new TcpCut(coordinator.listenerPort);
    try {
      ApplianceConfig c = config(URI.create("https://localhost:" + proxy.port()));
      Registration.Registered joined = join(c);
      Vertx doomed = Vertx.vertx();
      await(doomed, () -> Appliance.start(doomed, c, slowReads(16L * MIB)));
      String jobId = startBackup(joined);
      waitFor("the job to run", Duration.ofSeconds(60), () -> job(jobId).state().toString().equals("RUNNING"));
      proxy.cut(); // the coordinator is unreachable from here on
      waitFor("the job's outcome queued in the journal", Duration.ofSeconds(60), () -> {
        try {
          return journal().contains("\"call\":\"complete\"");
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      Thread.sleep(1_000);
      assertEquals("RUNNING", job(jobId).state().toString(), "the coordinator has not heard of the end");
      doomed.close().toCompletionStage().toCompletableFuture().join(); // and the gateway restarts before it has
      long packBytes = packBytes();

      proxy.restore();
      Appliance restarted = await(vertx, () -> Appliance.start(vertx, c, slowReads(64L * MIB)));
      try {
        waitFor("backup job " + jobId + " to end", Duration.ofSeconds(60), () -> ENDED.contains(job(jobId).state().toString()));
        DescribeBackupJobResponse done = job(jobId);
        assertEquals("COMPLETED", done.state().toString(), done.statusMessage());
        assertEquals(0, restarted.agent().jobsResumed(), "the job ran once: only its report was made again");
        assertEquals(packBytes, packBytes(), "nothing uploaded after the restart");
        Map<String, String> meta = backup.getRecoveryPointRestoreMetadata(r -> r.backupVaultName("local")
            .recoveryPointArn(done.recoveryPointArn())).restoreMetadata();
        assertEquals(String.valueOf(data.length), meta.get("vaultgate:bytesRead"));
        assertEquals("", journal(), "the queue is empty once the coordinator took the report");
      } finally {
        await(vertx, restarted::close);
      }
      vaultHoldsOnePointOfTheVolumeAndChecksClean();
    } finally {
      proxy.close();
    }
  }

  @Test
  void inTheMaintenanceWindowNoJobIsTakenAndTheMaintenanceRunsOnceThenJobsRunAgain() throws Exception {
    ApplianceConfig c = config(coordinator.gatewayEndpoint());
    Registration.Registered joined = join(c);
    RealCoordinator.MovableClock clock = new RealCoordinator.MovableClock();
    ZonedDateTime start = ZonedDateTime.now(ZoneOffset.UTC).plusHours(2);
    coordinator.gatewayApi().putMaintenanceStartTime(r -> r.gatewayArn(joined.gatewayArn())
        .hourOfDay(start.getHour()).minuteOfHour(start.getMinute()));
    Path leftover = Files.createDirectories(dir.resolve("data").resolve("staging").resolve("job-of-before"));
    Files.writeString(leftover.resolve("disk0.part"), "left by a job a crash ended");
    ConnectedVcsim vc = ConnectedVcsim.start(16, "--vms", "1");
    Await.await(vc.vertx, () -> vc.client.vm("DC0_H0_VM0").compose(vm -> vc.client.createSnapshot(vm, "vaultgate-crashed-backup",
        "left by a gateway that died mid-backup", false)), Duration.ofSeconds(60));
    BackupGatewayClient admin = coordinator.gatewayApi();
    String hypervisor = admin.importHypervisorConfiguration(r -> r.name("vcenter").host(vc.vcsim.hostPort())
        .username(vc.vcsim.user()).password(vc.vcsim.password())).hypervisorArn();
    admin.associateGatewayToServer(r -> r.gatewayArn(joined.gatewayArn()).serverArn(hypervisor));
    // LVM snapshots a dead gateway's backups left, on real lvm2 (TestVolumeGroup: inactive, this kernel has no device-mapper)
    try (TestVolumeGroup lvm = TestVolumeGroup.create(dir, 64)) {
      maintenanceWindow(c, joined, clock, start, leftover, vc, lvm);
    } finally {
      vc.close();
    }
  }

  private void maintenanceWindow(ApplianceConfig c, Registration.Registered joined, RealCoordinator.MovableClock clock, ZonedDateTime start,
      Path leftover, ConnectedVcsim vc, TestVolumeGroup lvm) throws Exception {
    lvm.createLv("data", "8m");
    String beforeStart = LvmSnapshotNames.snapshotName(lvm.vg, "data", "0A2F6C1E-1111-4A1B-8C2D-0123456789AB");
    String beforeWindow = LvmSnapshotNames.snapshotName(lvm.vg, "data", "0A2F6C1E-2222-4A1B-8C2D-0123456789AB");
    lvm.createSnapshot("data", beforeStart);
    lvm.createSnapshot("data", "data-vaultgate-mine"); // the operator's own: stays

    Appliance running = await(vertx, () -> Appliance.start(vertx, c, slowReads(64L * MIB).withClock(clock)));
    try {
      assertEquals(List.of("data", "data-vaultgate-mine<data"), lvm.lvs(), "the leftover snapshot is removed at start");
      lvm.createSnapshot("data", beforeWindow);
      waitFor("the maintenance start time from the heartbeat", Duration.ofSeconds(30), () -> running.agent().maintenanceWindow() != null);
      waitFor("the VMs in the agent's inventory", Duration.ofSeconds(60), () -> running.agent().protectedVms().size() == 2);
      assertEquals(String.format("daily at %02d:%02d UTC", start.getHour(), start.getMinute()),
          running.agent().maintenanceWindow().describe());
      assertTrue(Files.exists(leftover), "no maintenance outside the window");
      assertEquals(0, running.agent().maintenanceRuns());

      clock.advance(Duration.ofHours(2).plusMinutes(1)); // into the window
      waitFor("the maintenance", Duration.ofSeconds(30), () -> running.agent().maintenanceRuns() == 1);
      assertTrue(Files.notExists(leftover), "the staging leftover is removed by the maintenance");
      assertEquals(List.of(), Await.await(vc.vertx, () -> vc.client.vm("DC0_H0_VM0"), Duration.ofSeconds(30)).snapshots(),
          "the snapshot a crashed backup left is removed by the maintenance");
      assertEquals("1 staging leftovers and 1 leftover VM snapshots removed", running.agent().lastMaintenance());
      waitFor("the LVM leftover removed after the maintenance", Duration.ofSeconds(10), () -> lvs(lvm).size() == 2);
      assertEquals(List.of("data", "data-vaultgate-mine<data"), lvm.lvs(), "only the Vaultgate snapshot is removed");
      String jobId = startBackup(joined);
      Thread.sleep(12_000); // more than two job polls
      assertEquals("CREATED", job(jobId).state().toString(), "no job is taken in the maintenance window");
      assertEquals(1, running.agent().maintenanceRuns(), "the maintenance runs once a window");

      clock.advance(Duration.ofHours(1)); // the window is over
      waitFor("backup job " + jobId + " to end", Duration.ofSeconds(60), () -> ENDED.contains(job(jobId).state().toString()));
      assertEquals("COMPLETED", job(jobId).state().toString(), job(jobId).statusMessage());
      assertEquals(1, running.agent().maintenanceRuns());
    } finally {
      await(vertx, running::close);
    }
  }

  static List<String> lvs(TestVolumeGroup group) {
    try {
      return group.lvs();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aGatewayKilledMidVmBackupRemovesTheSnapshotItLeftAndResumesTheJobToTheEnd() throws Exception {
    ConnectedVcsim vc = ConnectedVcsim.start(16, "--vms", "1");
    try {
      ApplianceConfig c = config(coordinator.gatewayEndpoint());
      Registration.Registered joined = join(c);
      BackupGatewayClient admin = coordinator.gatewayApi();
      String hypervisor = admin.importHypervisorConfiguration(r -> r.name("vcenter").host(vc.vcsim.hostPort())
          .username(vc.vcsim.user()).password(vc.vcsim.password())).hypervisorArn();
      admin.associateGatewayToServer(r -> r.gatewayArn(joined.gatewayArn()).serverArn(hypervisor));
      var vm = Await.await(vc.vertx, () -> vc.client.vm("DC0_H0_VM0"), Duration.ofSeconds(30));
      Path flat = vc.vcsim.datastoreFile(vm.hardware().disks().get(0).file().flatExtent().path());
      dev.vaultgate.agent.testing.TestDisks.writeRandomBlocks(flat, 9, java.util.stream.LongStream.range(0, 256).toArray());

      DyingGateway doomed = new DyingGateway(64L * MIB);
      Appliance first = doomed.appliance;
      waitFor("the VM in the inventory", Duration.ofSeconds(60), () -> first.agent().protectedVms().size() == 2);
      first.agent().setBandwidthLimit(1L << 20); // 16 MiB take 16 s
      String vmArn = first.agent().protectedVms().stream().filter(v -> v.getString("name").equals("DC0_H0_VM0")).findFirst()
          .orElseThrow().getString("resourceArn");
      String jobId = backup.startBackupJob(r -> r.backupVaultName("local").resourceArn(vmArn)
          .iamRoleArn("arn:aws:iam::" + coordinator.key.accountId() + ":role/backup")).backupJobId();
      waitFor("the backup's snapshot and some progress", Duration.ofSeconds(60), () -> {
        List<String> snapshots = Await.await(vc.vertx, () -> vc.client.vm("DC0_H0_VM0"), Duration.ofSeconds(30)).snapshots();
        Double percent = job(jobId).percentDone() == null ? null : Double.parseDouble(job(jobId).percentDone());
        return snapshots.stream().anyMatch(n -> n.startsWith("vaultgate-")) && percent != null && percent > 5;
      });
      doomed.kill(); // mid-read: its snapshot stays in vCenter
      Thread.sleep(1_000);
      assertEquals("RUNNING", job(jobId).state().toString());
      assertEquals(1, Await.await(vc.vertx, () -> vc.client.vm("DC0_H0_VM0"), Duration.ofSeconds(30)).snapshots().size());

      ApplianceConfig again = config(coordinator.gatewayEndpoint()); // the same gateway; a fresh web UI port
      Appliance restarted = await(vertx, () -> Appliance.start(vertx, again, slowReads(64L * MIB)));
      try {
        waitFor("backup job " + jobId + " to end", Duration.ofSeconds(120), () -> ENDED.contains(job(jobId).state().toString()));
        DescribeBackupJobResponse done = job(jobId);
        assertEquals("COMPLETED", done.state().toString(), done.statusMessage());
        assertEquals(1, restarted.agent().jobsResumed(), "the VM backup resumed from the journal");
        assertEquals(List.of(), Await.await(vc.vertx, () -> vc.client.vm("DC0_H0_VM0"), Duration.ofSeconds(30)).snapshots(),
            "no snapshot left: the first run's was removed before the job resumed, the second's when it ended");
      } finally {
        await(vertx, restarted::close);
        doomed.close();
      }
    } finally {
      vc.close();
    }
  }
}
