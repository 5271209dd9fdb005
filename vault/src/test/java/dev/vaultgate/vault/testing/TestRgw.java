package dev.vaultgate.vault.testing;

import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.RetryingVaultStorage;
import dev.vaultgate.vault.storage.S3VaultStorage;
import io.vertx.core.Vertx;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Ceph RADOS Gateway per test JVM: real S3 Object Lock (COMPLIANCE and GOVERNANCE retention, legal holds),
 * which s3proxy lacks. Started on first use by {@code scripts/rgw} (about 15 s) and stopped when the JVM ends;
 * or, when {@code RGW_ENDPOINT}, {@code RGW_ACCESS_KEY} and {@code RGW_SECRET_KEY} are set (the lines
 * {@code scripts/rgw} prints), that one is used and left running (restartable by tests when {@code RGW_DIR} is set
 * too). Tests isolate by bucket.
 */
public final class TestRgw {
  public static final Region REGION = Region.US_EAST_1;
  private static final AtomicInteger buckets = new AtomicInteger();
  private static Map<String, String> env;

  private TestRgw() {
  }

  /** The endpoint, starting RGW if needed. */
  public static synchronized URI endpoint() {
    if (env == null) {
      env = fromEnvironment();
      if (env == null) {
        env = start();
      }
    }
    return URI.create(env.get("RGW_ENDPOINT"));
  }

  public static String accessKey() {
    endpoint();
    return env.get("RGW_ACCESS_KEY");
  }

  public static String secretKey() {
    endpoint();
    return env.get("RGW_SECRET_KEY");
  }

  /** The gateways' user (uid vaultgate-gateway): owns nothing, may do only what a bucket policy grants it. */
  public static String gatewayAccessKey() {
    return required("RGW_GATEWAY_ACCESS_KEY");
  }

  public static String gatewaySecretKey() {
    return required("RGW_GATEWAY_SECRET_KEY");
  }

  /** The principals a bucket policy names: the gateways' user, and the owner (the user of {@link #client()}). */
  public static String gatewayPrincipal() {
    return required("RGW_GATEWAY_PRINCIPAL");
  }

  public static String ownerPrincipal() {
    return required("RGW_OWNER_PRINCIPAL");
  }

  private static String required(String key) {
    endpoint();
    String value = env.get(key);
    if (value == null) {
      throw new IllegalStateException(key + " is not set: the RGW in use predates the gateway user (run scripts/rgw"
          + " start --dir on it once, and export the lines it prints)");
    }
    return value;
  }

  /** A client configured as the vault configures its own (path style, checksums only when required); the caller closes it. */
  public static S3AsyncClient client() {
    return S3VaultStorage.newClient(endpoint(), REGION,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey(), secretKey())));
  }

  /** A new bucket, with Object Lock enabled when {@code objectLock} (which also turns versioning on). */
  public static String newBucket(boolean objectLock) {
    String bucket = "rgw-test-" + ProcessHandle.current().pid() + "-" + buckets.incrementAndGet();
    try (S3AsyncClient client = client()) {
      client.createBucket(b -> b.bucket(bucket).objectLockEnabledForBucket(objectLock)).join();
    }
    return bucket;
  }

  /** An empty vault storage under {@code vault/} of a new bucket. */
  public static S3VaultStorage newStorage(Vertx vertx, boolean objectLock) {
    return new S3VaultStorage(vertx, client(), newBucket(objectLock), "vault");
  }

  /**
   * A new vault in a new bucket, packs of {@code packSize}; when {@code locked}, the bucket has Object Lock and the vault
   * a COMPLIANCE lock of 1 s to 1 day. Behind retries, as {@code VaultStorages.open} puts an S3 vault: RGW sometimes
   * closes a kept-alive connection under a request.
   */
  public static EngineFixture newVault(Path dir, boolean locked, int packSize) {
    EngineFixture vault = EngineFixture.on(dir, vertx -> new RetryingVaultStorage(vertx, newStorage(vertx, locked)));
    VaultSettings settings = new VaultSettings(VaultSettings.DEFAULT_BLOCK_SIZE, packSize);
    vault.init(locked
        ? settings.withLock(new RetentionLock(RetentionMode.COMPLIANCE, Duration.ofSeconds(1), Duration.ofDays(1)))
        : settings).close();
    return vault;
  }

  /** Stops radosgw only: the cluster and every object stay, the endpoint refuses connections. */
  public static void stopGateway() {
    gateway("stop-gateway");
  }

  /** Starts radosgw again on the same endpoint, after {@link #stopGateway()}; returns once it answers. */
  public static void startGateway() {
    gateway("start-gateway");
  }

  private static void gateway(String command) {
    endpoint();
    String dir = env.get("RGW_DIR");
    if (dir == null) {
      throw new IllegalStateException("RGW_DIR is not set: the RGW given by RGW_ENDPOINT cannot be restarted from here");
    }
    try {
      Process p = new ProcessBuilder(findScript().toString(), command, "--dir", dir).inheritIO().start();
      if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("scripts/rgw " + command + " --dir " + dir + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run scripts/rgw " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * How many RADOS objects the pool holds (its data, as Ceph stores it): shows which placement's pool a storage
   * class put an object's bytes in. Null when RGW_DIR is unknown (an RGW given by the environment without it).
   */
  public static Integer radosObjectCount(String pool) {
    endpoint();
    String dir = env.get("RGW_DIR");
    if (dir == null) {
      return null;
    }
    try {
      Process p = new ProcessBuilder("rados", "-c", dir + "/ceph.conf", "-p", pool, "ls")
          .redirectErrorStream(false).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("rados -p " + pool + " ls failed: "
            + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
      }
      return (int) out.lines().filter(l -> !l.isBlank()).count();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run rados: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The {@code s3://} URL of a vault in {@code bucket}, as the CLI takes it. */
  public static String vaultUrl(String bucket) {
    return "s3://" + bucket + "/vault?endpoint=" + endpoint() + "&region=" + REGION.id();
  }

  private static Map<String, String> fromEnvironment() {
    String endpoint = System.getenv("RGW_ENDPOINT");
    if (endpoint == null || endpoint.isBlank()) {
      return null;
    }
    Map<String, String> given = new HashMap<>();
    for (String key : List.of("RGW_ENDPOINT", "RGW_ACCESS_KEY", "RGW_SECRET_KEY")) {
      String value = System.getenv(key);
      if (value == null || value.isBlank()) {
        throw new IllegalStateException("RGW_ENDPOINT is set but " + key + " is not (set all three, as scripts/rgw prints them)");
      }
      given.put(key, value);
    }
    for (String optional : List.of("RGW_DIR", "RGW_GATEWAY_ACCESS_KEY", "RGW_GATEWAY_SECRET_KEY", "RGW_GATEWAY_PRINCIPAL",
        "RGW_OWNER_PRINCIPAL")) {
      String value = System.getenv(optional);
      if (value != null && !value.isBlank()) {
        given.put(optional, value);
      }
    }
    return given;
  }

  private static Map<String, String> start() {
    Path script = findScript();
    stopLeftovers(script);
    // The admin sockets live in this directory: unix socket paths must stay short, so not under target/.
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "vaultgate-rgw-test-" + ProcessHandle.current().pid());
    Map<String, String> started = new HashMap<>();
    try {
      Path out = Files.createTempFile("vaultgate-rgw-start", ".log");
      Process process = new ProcessBuilder(script.toString(), "start", "--dir", dir.toString())
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(script, dir), "test-rgw-shutdown"));
      if (!process.waitFor(15, TimeUnit.MINUTES) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("scripts/rgw did not start (" + out + "): " + Files.readString(out));
      }
      for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
        int eq = line.indexOf('=');
        if (line.startsWith("RGW_") && eq > 0) {
          started.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      Files.deleteIfExists(out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting RGW", e);
    }
    if (!started.containsKey("RGW_ENDPOINT")) {
      throw new IllegalStateException("scripts/rgw printed no RGW_ENDPOINT");
    }
    return started;
  }

  /** RGWs of test JVMs that died without their shutdown hook (kill -9): stopped, so none runs on forever. */
  private static void stopLeftovers(Path script) {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    try (var entries = Files.newDirectoryStream(tmp, "vaultgate-rgw-test-*")) {
      for (Path dir : entries) {
        String pid = dir.getFileName().toString().substring("vaultgate-rgw-test-".length());
        if (pid.matches("\\d+") && ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
          stop(script, dir);
        }
      }
    } catch (IOException | RuntimeException e) {
      // best effort: a leftover only costs memory until someone runs scripts/rgw stop --dir on it
    }
  }

  private static void stop(Path script, Path dir) {
    try {
      new ProcessBuilder(script.toString(), "stop", "--dir", dir.toString()).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException ignored) {
      // the JVM is ending; scripts/rgw stop --dir DIR removes what is left
    }
  }

  /** scripts/rgw of this checkout, looked up from the working directory (a module or the root). */
  private static Path findScript() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path script = dir.resolve("scripts/rgw");
      if (Files.isExecutable(script)) {
        return script;
      }
    }
    throw new IllegalStateException("cannot find scripts/rgw above " + Path.of("").toAbsolutePath()
        + " (or set RGW_ENDPOINT, RGW_ACCESS_KEY, RGW_SECRET_KEY to a running RGW)");
  }
}
