package dev.vaultgate.agent.bench;

import dev.vaultgate.agent.backup.VmBackup;
import dev.vaultgate.agent.backup.VmBackupResult;
import dev.vaultgate.agent.testing.ConnectedVcsim;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.FileVaultStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The VMware benchmark behind {@code scripts/bench-vmware} (not a test; run as a program): starts the project's
 * vcsim with one VM whose disk is {@code --disk-mb} MiB, fills the disk's flat file with data (every 64 KiB block in
 * use: three of four random, one of four repetitive text, so compression has something to do), runs a full VM
 * backup (CBT turned on, so every area in use is read), then rewrites {@code --change-percent} of the blocks, chosen
 * at random over the whole disk, with new random data and runs the CBT incremental. The vault is a local directory
 * ({@link FileVaultStorage}): the figures are the agent's read path and the vault engine, not an S3 server's.
 *
 * <p>Prints {@code key=value} lines on stdout for the script to turn into a report.
 */
public final class VmwareBench {
  private static final int BLOCK = 64 * 1024;

  private VmwareBench() {
  }

  public static void main(String[] args) throws Exception {
    int diskMb = 4096;
    double changePercent = 1.0;
    Path work = Path.of("bench/work/vmware-bench");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--disk-mb" -> diskMb = Integer.parseInt(args[++i]);
        case "--change-percent" -> changePercent = Double.parseDouble(args[++i]);
        case "--work" -> work = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("VmwareBench: unknown argument " + args[i]);
      }
    }
    run(diskMb, changePercent, work);
  }

  private static void run(int diskMb, double changePercent, Path work) throws Exception {
    Files.createDirectories(work);
    Path vaultDir = work.resolve("vault");
    deleteTree(vaultDir);
    Files.createDirectories(vaultDir);
    Files.deleteIfExists(work.resolve("master.key"));

    try (ConnectedVcsim env = ConnectedVcsim.start(diskMb, "--vms", "1", "--hosts", "1", "--clusters", "0")) {
      var vertx = env.vertx;
      var client = env.client;
      Repository repo = await(env, () -> Repository.init(vertx, new FileVaultStorage(vertx, vaultDir),
          LocalKeyWrapper.create(work.resolve("master.key")), VaultSettings.defaults()));
      try {
        String vmName = "DC0_H0_VM0";
        VmInfo vm = await(env, () -> client.vm(vmName));
        Path flat = env.vcsim.datastoreFile(vm.hardware().disks().get(0).file().flatExtent().path());
        long capacity = vm.hardware().disks().get(0).capacityBytes();
        long blocks = capacity / BLOCK;
        long t = System.nanoTime();
        fill(flat, blocks);
        out("fill.seconds", secs(t));
        out("disk.bytes", capacity);
        out("vault.blockSize", repo.config().settings().blockSize());

        VmBackupResult full = backup(env, repo, vmName, "full");

        long changed = Math.max(1, Math.round(blocks * changePercent / 100.0));
        t = System.nanoTime();
        rewrite(flat, blocks, changed);
        out("change.blocks", changed);
        out("change.bytes", changed * BLOCK);
        out("change.seconds", secs(t));

        VmBackupResult incr = backup(env, repo, vmName, "incremental");
        out("incremental.changedSince", incr.disks().get(0).changedSince());
        out("full.changeId", full.disks().get(0).changeId());
        out("vault.bytes", treeBytes(vaultDir));
      } finally {
        repo.close();
      }
    }
  }

  private static VmBackupResult backup(ConnectedVcsim env, Repository repo, String vmName, String label) {
    long t = System.nanoTime();
    VmBackupResult r = await(env, () -> VmBackup.run(env.client, repo, VmBackup.Options.defaults(vmName)));
    double seconds = secs(t);
    var disk = r.disks().get(0).backup();
    out(label + ".seconds", seconds);
    out(label + ".engineSeconds", disk.seconds());
    out(label + ".bytesRead", r.bytesRead());
    out(label + ".bytesNew", r.bytesNew());
    out(label + ".blocksChanged", disk.blocksChanged());
    out(label + ".chunksNew", disk.chunksNew());
    out(label + ".fullReason", String.valueOf(r.disks().get(0).fullReason()));
    return r;
  }

  /** Every block gets data: blocks i%4==3 repetitive text, the others random. */
  private static void fill(Path flat, long blocks) throws IOException {
    SplittableRandom random = new SplittableRandom(42);
    ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
    byte[] text = textBlock();
    byte[] bytes = new byte[BLOCK];
    try (FileChannel ch = FileChannel.open(flat, StandardOpenOption.WRITE)) {
      for (long b = 0; b < blocks; b++) {
        buf.clear();
        if (b % 4 == 3) {
          text[0] = (byte) b; // each text block differs a little, so dedup does not fold them into one
          text[1] = (byte) (b >> 8);
          text[2] = (byte) (b >> 16);
          buf.put(text);
        } else {
          randomBytes(random, bytes);
          buf.put(bytes);
        }
        buf.flip();
        while (buf.hasRemaining()) {
          ch.write(buf, b * BLOCK + buf.position());
        }
      }
      ch.force(false);
    }
  }

  /** Rewrites {@code count} distinct blocks, spread at random over the disk, with new random data. */
  private static void rewrite(Path flat, long blocks, long count) throws IOException {
    SplittableRandom random = new SplittableRandom(7);
    TreeSet<Long> chosen = new TreeSet<>();
    while (chosen.size() < count) {
      chosen.add(random.nextLong(blocks));
    }
    byte[] bytes = new byte[BLOCK];
    try (FileChannel ch = FileChannel.open(flat, StandardOpenOption.WRITE)) {
      for (long b : chosen) {
        randomBytes(random, bytes);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf, b * BLOCK + buf.position());
        }
      }
      ch.force(false);
    }
  }

  private static void randomBytes(SplittableRandom random, byte[] bytes) {
    for (int i = 0; i < bytes.length; i += 8) {
      long v = random.nextLong();
      for (int k = 0; k < 8; k++) {
        bytes[i + k] = (byte) (v >>> (8 * k));
      }
    }
  }

  private static byte[] textBlock() {
    byte[] line = "2026-11-23T12:00:00Z INFO vaultgate bench: a log line that repeats, as guest file systems often do\n"
        .getBytes(StandardCharsets.US_ASCII);
    byte[] block = new byte[BLOCK];
    for (int i = 0; i < BLOCK; i++) {
      block[i] = line[i % line.length];
    }
    return block;
  }

  private static long treeBytes(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static <T> T await(ConnectedVcsim env, java.util.function.Supplier<io.vertx.core.Future<T>> work) {
    return Await.await(env.vertx, work, Duration.ofMinutes(30));
  }

  private static double secs(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static void out(String key, Object value) {
    System.out.println(key + "=" + value);
    System.out.flush();
  }
}
