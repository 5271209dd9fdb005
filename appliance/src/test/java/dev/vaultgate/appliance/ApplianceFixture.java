package dev.vaultgate.appliance;

import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.config.ApplianceConfigParser;
import dev.vaultgate.appliance.config.PasswordHash;
import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.devtools.LocalS3Server;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.S3VaultStorage;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

/**
 * A whole appliance for tests: a real S3 server on loopback holding an initialized vault, an image file as a
 * local volume, a config file written as an operator would, and the appliance started from it. The coordinator
 * URL points at a closed port: no coordinator runs in these tests, and the UI shows it as down.
 */
public final class ApplianceFixture implements AutoCloseable {
  public static final String PASSWORD = "correct horse battery staple";
  static final String ACCESS = "gw-access";
  static final String SECRET = "gw-secret";

  public final Vertx vertx = Vertx.vertx();
  public final Path dir;
  public LocalS3Server s3;
  public final Path volume;
  public final ApplianceConfig config;
  public Appliance appliance;
  private boolean s3Stopped;

  public ApplianceFixture(Path dir, int volumeMib, Appliance.Options options) throws Exception {
    this(dir, volumeMib, options, 100_000_000);
  }

  /** @param uploadBitsPerSecond the config's bandwidth limit, Mondays and Fridays 08:00-18:00 UTC */
  public ApplianceFixture(Path dir, int volumeMib, Appliance.Options options, long uploadBitsPerSecond) throws Exception {
    this.dir = dir;
    s3 = LocalS3Server.start(dir.resolve("s3"), "127.0.0.1", 0, ACCESS, SECRET); // on disk: it can be stopped and started again
    s3.createBucket("gateway-vault");
    Path key = dir.resolve("master.key");
    LocalKeyWrapper wrapper = LocalKeyWrapper.create(key);
    S3VaultStorage init = new S3VaultStorage(vertx, S3VaultStorage.newClient(s3.endpoint(), Region.US_EAST_1,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET))), "gateway-vault", "dc1");
    Repository repo = Await.await(vertx, () -> Repository.init(vertx, init, wrapper, VaultSettings.defaults()), Duration.ofSeconds(60));
    repo.close();
    init.close();

    byte[] data = new byte[volumeMib << 20];
    new Random(42).nextBytes(data);
    volume = Files.write(dir.resolve("db.img"), data);

    JsonObject conf = new JsonObject()
        .put("gatewayName", "test-gw")
        .put("coordinatorUrl", "https://127.0.0.1:" + freePort())
        .put("dataDir", dir.resolve("data").toString())
        .put("vault", new JsonObject().put("url", "s3://gateway-vault/dc1?endpoint=" + s3.endpoint() + "&region=us-east-1")
            .put("masterKeyFile", key.toString()))
        .put("s3", new JsonObject().put("accessKeyId", ACCESS).put("secretAccessKey", SECRET))
        .put("webUi", new JsonObject().put("host", "127.0.0.1").put("port", freePort())
            .put("adminPasswordHash", PasswordHash.create(PASSWORD.toCharArray(), 10_000).encode()))
        .put("maxConcurrentJobs", 2)
        .put("localVolumes", new JsonArray().add(new JsonObject().put("name", "db").put("path", volume.toString())
            .put("tags", new JsonObject().put("env", "test"))))
        .put("bandwidth", new JsonObject().put("schedule", new JsonArray().add(new JsonObject()
            .put("days", new JsonArray().add("MON").add("FRI")).put("start", "08:00").put("end", "18:00").put("uploadBitsPerSecond", uploadBitsPerSecond))));
    Path file = Files.writeString(dir.resolve("appliance.conf"), conf.encodePrettily());
    config = ApplianceConfigParser.load(file);
    appliance = Await.await(vertx, () -> Appliance.start(vertx, config, options), Duration.ofSeconds(60));
  }

  public String baseUrl() {
    return "https://127.0.0.1:" + appliance.webPort();
  }

  /** Stops the S3 server: the vault becomes unreachable. */
  public void stopS3() {
    s3.close();
    s3Stopped = true;
  }

  /** Starts the S3 server again, on the same port with the same objects. */
  public void startS3Again() throws Exception {
    s3 = LocalS3Server.start(dir.resolve("s3"), "127.0.0.1", s3.endpoint().getPort(), ACCESS, SECRET);
    s3Stopped = false;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    try {
      if (appliance != null) {
        Await.await(vertx, appliance::close, Duration.ofSeconds(30));
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
      if (!s3Stopped) {
        s3.close();
      }
    }
  }
}
