package dev.vaultgate.vault.devtools;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * An S3 server in this JVM (s3proxy) for tests and scripts: SigV4 with one access key, buckets as directories
 * under a data directory, or in memory. Not for production: no object lock, no durability promises.
 *
 * <p>s3proxy is an optional dependency of the vault: callers outside this module add it themselves.
 */
public final class LocalS3Server implements AutoCloseable {
  private static final long START_TIMEOUT_MS = 10_000;

  static {
    quietLogging();
  }

  private final S3Proxy proxy;
  private final BlobStore blobStore;
  private final URI endpoint;
  private final String accessKey;
  private final String secretKey;

  private LocalS3Server(S3Proxy proxy, BlobStore blobStore, URI endpoint, String accessKey, String secretKey) {
    this.proxy = proxy;
    this.blobStore = blobStore;
    this.endpoint = endpoint;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /**
   * Starts a server and waits until it answers.
   *
   * @param dataDir where buckets are kept (created if missing); null keeps them in memory
   * @param host    the address to bind, normally 127.0.0.1
   * @param port    0 for a free port
   */
  public static LocalS3Server start(Path dataDir, String host, int port, String accessKey, String secretKey)
      throws Exception {
    BlobStore blobStore;
    if (dataDir == null) {
      blobStore = new TransientNio2BlobStore();
    } else {
      Files.createDirectories(dataDir);
      blobStore = new FilesystemNio2BlobStore(dataDir.toAbsolutePath().toString());
    }
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(blobStore)
        .endpoint(URI.create("http://" + host + ":" + port))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        // SDK v2 sends headers (checksum modes, SDK invocation ids) that s3proxy does not know.
        .ignoreUnknownHeaders(true)
        .build();
    proxy.start();
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.currentTimeMillis() > deadline) {
        proxy.stop();
        throw new IOException("s3proxy did not start on " + host + ":" + port + " within " + START_TIMEOUT_MS
            + " ms (state " + proxy.getState() + ")");
      }
      Thread.sleep(10); // jetty starts on its own threads; this is a dev tool, not the event loop
    }
    String advertised = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    URI endpoint = URI.create("http://" + advertised + ":" + proxy.getPort());
    return new LocalS3Server(proxy, blobStore, endpoint, accessKey, secretKey);
  }

  /** In memory, on a free port of 127.0.0.1. */
  public static LocalS3Server startInMemory(String accessKey, String secretKey) throws Exception {
    return start(null, "127.0.0.1", 0, accessKey, secretKey);
  }

  /** {@code http://127.0.0.1:PORT}: give it to the S3 client as endpoint override, with path-style access. */
  public URI endpoint() {
    return endpoint;
  }

  public int port() {
    return proxy.getPort();
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  /** Creates the bucket if it is missing. */
  public void createBucket(String name) {
    // s3proxy creates a bucket of any name but then answers NoSuchBucket for one S3 would refuse ("b").
    if (!name.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("'" + name + "' is no S3 bucket name: 3-63 lowercase letters, digits,"
          + " '.' or '-', starting and ending with a letter or digit");
    }
    if (!blobStore.containerExists(name)) {
      blobStore.createContainer(name);
    }
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the S3 server at " + endpoint + ": " + e, e);
    } finally {
      blobStore.close();
    }
  }

  /**
   * Starts a server and blocks until the process ends. Prints one line, {@code s3 endpoint http://127.0.0.1:P},
   * once it answers, for scripts to read.
   *
   * <pre>LocalS3Server [--dir D] [--host H] [--port P] --access-key A --secret-key S [--bucket B]...</pre>
   */
  public static void main(String[] args) throws Exception {
    Path dir = null;
    String host = "127.0.0.1";
    int port = 0;
    String accessKey = null;
    String secretKey = null;
    java.util.List<String> buckets = new java.util.ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (option.equals("-h") || option.equals("--help")) {
        System.out.println(USAGE);
        return;
      }
      if (i + 1 >= args.length) {
        fail("option " + option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--dir" -> dir = Path.of(value);
        case "--host" -> host = value;
        case "--port" -> port = parsePort(value);
        case "--access-key" -> accessKey = value;
        case "--secret-key" -> secretKey = value;
        case "--bucket" -> buckets.add(value);
        default -> fail("unknown option " + option);
      }
    }
    if (accessKey == null || secretKey == null) {
      fail("--access-key and --secret-key are required");
    }
    LocalS3Server server = start(dir, host, port, accessKey, secretKey);
    for (String bucket : buckets) {
      server.createBucket(bucket);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (RuntimeException ignored) {
        // the process is ending anyway
      }
      stopped.countDown();
    }, "local-s3-shutdown"));
    System.out.println("s3 endpoint " + server.endpoint());
    System.out.flush();
    stopped.await();
  }

  private static final String USAGE = "usage: LocalS3Server [--dir D] [--host 127.0.0.1] [--port P (0 = free)]"
      + " --access-key A --secret-key S [--bucket B]...";

  private static int parsePort(String value) {
    try {
      int port = Integer.parseInt(value);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // falls through
    }
    fail("--port must be 0..65535, not '" + value + "'");
    return -1;
  }

  private static void fail(String message) {
    System.err.println("LocalS3Server: " + message);
    System.err.println(USAGE);
    System.exit(2);
  }

  /**
   * s3proxy and its Jetty log every request and error at INFO/WARN; a dev server should stay silent unless
   * it breaks. Applies to slf4j-simple (the vault's runtime binding) and leaves explicit settings alone.
   */
  private static void quietLogging() {
    for (String logger : new String[] {"org.gaul.s3proxy", "org.gaul.shaded", "org.eclipse.jetty"}) {
      String key = "org.slf4j.simpleLogger.log." + logger;
      if (System.getProperty(key) == null) {
        System.setProperty(key, "error");
      }
    }
  }
}
