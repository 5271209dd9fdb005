package dev.vaultgate.coordinator.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The load generator of {@code scripts/bench-coordinator}: a separate process that drives a
 * running coordinator over loopback with SigV4-signed REST-JSON requests, a fixed number in
 * flight (closed loop: each of C virtual users sends its next request when the previous one
 * has answered).
 *
 * <p>Phases: create a vault; seed N backup jobs with StartBackupJob (through the API, so the
 * rows are real); walk ListBackupJobs once end to end (checks that exactly N jobs come back and
 * collects every page's NextToken); then per operation a warm-up and a timed measurement:
 * DescribeBackupJob of random seeded ids, ListBackupJobs (MaxResults 100, following NextToken
 * for up to 10 pages from a random page of the walk, so every depth of the 100,000 is read),
 * StartBackupJob. Everything runs on one event loop of the generator; latencies are taken from
 * just after signing to the last byte of the response. Writes a Markdown fragment (--out).
 */
public final class CoordinatorBench {

  static final int LIST_PAGE = 100;
  static final int LIST_RUN = 10;

  // ---- settings ----
  String host = "127.0.0.1";
  int port;
  String accessKeyId;
  String secretAccessKey;
  String region = "us-east-1";
  String account = "000000000000";
  int jobs = 100_000;
  int seconds = 20;
  int warmupSeconds = 5;
  int concurrency = 32;
  long serverPid = -1;
  long postgresPid = -1;
  Path out;
  Path phasesFile;
  final StringBuilder phases = new StringBuilder();

  // ---- state (touched only on the generator's event loop once running) ----
  Vertx vertx;
  Context ctx;
  HttpClient http;
  Signer signer;
  String vault;
  String[] jobIds;
  final List<String> pageTokens = new ArrayList<>();
  final SplittableRandom random = new SplittableRandom(42);
  long resourceCounter;
  final List<String> notes = new ArrayList<>();

  /** One response: status, body, latency. */
  record Resp(int status, Buffer body, long nanos) {
    JsonObject json() {
      return body.length() == 0 ? new JsonObject() : new JsonObject(body);
    }
  }

  /** The figures of one phase. */
  static final class Stats {
    final String name;
    final Histogram latency = new Histogram();
    final Map<String, Integer> errors = new LinkedHashMap<>();
    long errorCount;
    long startNanos;
    long endNanos;
    double generatorCpu;
    double serverCpu;
    double postgresCpu;

    Stats(String name) {
      this.name = name;
    }

    void error(String kind) {
      errorCount++;
      errors.merge(kind, 1, Integer::sum);
    }

    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }

    double rate() {
      return latency.count() / seconds();
    }
  }

  public static void main(String[] args) throws Exception {
    CoordinatorBench b = new CoordinatorBench();
    try {
      b.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.exit(2);
    }
    int code = b.run();
    System.exit(code);
  }

  void parse(String[] args) throws IOException {
    Path credentials = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--port" -> port = Integer.parseInt(need(a, v));
        case "--host" -> host = need(a, v);
        case "--credentials" -> credentials = Path.of(need(a, v));
        case "--access-key-id" -> accessKeyId = need(a, v);
        case "--secret-access-key" -> secretAccessKey = need(a, v);
        case "--region" -> region = need(a, v);
        case "--account" -> account = need(a, v);
        case "--jobs" -> jobs = Integer.parseInt(need(a, v));
        case "--seconds" -> seconds = Integer.parseInt(need(a, v));
        case "--warmup" -> warmupSeconds = Integer.parseInt(need(a, v));
        case "--concurrency" -> concurrency = Integer.parseInt(need(a, v));
        case "--server-pid" -> serverPid = Long.parseLong(need(a, v));
        case "--postgres-pid" -> postgresPid = Long.parseLong(need(a, v));
        case "--out" -> out = Path.of(need(a, v));
        case "--phases" -> phasesFile = Path.of(need(a, v));
        default -> throw new IllegalArgumentException("unknown argument " + a);
      }
      i++;
    }
    if (accessKeyId == null && System.getenv("VAULTGATE_ADMIN_ACCESS_KEY_ID") != null) {
      accessKeyId = System.getenv("VAULTGATE_ADMIN_ACCESS_KEY_ID");
      secretAccessKey = System.getenv("VAULTGATE_ADMIN_SECRET_ACCESS_KEY");
    }
    if (accessKeyId == null && credentials != null) {
      Properties p = new Properties();
      for (String line : Files.readAllLines(credentials)) {
        int eq = line.indexOf('=');
        if (eq > 0) p.setProperty(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
      accessKeyId = p.getProperty("aws_access_key_id");
      secretAccessKey = p.getProperty("aws_secret_access_key");
    }
    if (port <= 0) throw new IllegalArgumentException("--port is required");
    if (accessKeyId == null || secretAccessKey == null) throw new IllegalArgumentException("no credentials (--credentials FILE or VAULTGATE_ADMIN_* env)");
    if (jobs < 1 || seconds < 1 || concurrency < 1 || warmupSeconds < 0) throw new IllegalArgumentException("--jobs, --seconds, --concurrency must be positive");
  }

  private static String need(String flag, String v) {
    if (v == null) throw new IllegalArgumentException(flag + " needs a value");
    return v;
  }

  int run() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    ctx = vertx.getOrCreateContext();
    http = vertx.createHttpClient(
        new HttpClientOptions().setDefaultHost(host).setDefaultPort(port).setKeepAlive(true)
            .setConnectTimeout(10_000).setIdleTimeout(0),
        new PoolOptions().setHttp1MaxSize(concurrency).setMaxWaitQueueSize(-1));
    signer = new Signer(accessKeyId, secretAccessKey, region, host, port);
    List<Stats> results = new ArrayList<>();
    int code = 0;
    try {
      vault = "bench-" + Long.toHexString(System.nanoTime());
      Resp created = onLoop(() -> send(signer.sign("PUT", "/backup-vaults/" + vault, "{}"))).get(60, TimeUnit.SECONDS);
      if (created.status() != 200) throw new IllegalStateException("CreateBackupVault: " + created.status() + " " + created.body());

      log("seeding %,d backup jobs with StartBackupJob, %d in flight", jobs, concurrency);
      jobIds = new String[jobs];
      Stats seed = phase("StartBackupJob (seeding)", Duration.ofHours(6), jobs, true, this::seedOne);
      results.add(seed);
      long seeded = java.util.Arrays.stream(jobIds).filter(java.util.Objects::nonNull).count();
      if (seeded < jobs) {
        log("only %,d of %,d jobs seeded; compacting", seeded, jobs);
        jobIds = java.util.Arrays.stream(jobIds).filter(java.util.Objects::nonNull).toArray(String[]::new);
        notes.add(String.format(Locale.ROOT, "Only %,d of %,d jobs could be seeded.", seeded, jobs));
        code = 1;
      }
      log("seeded in %.1f s (%.0f jobs/s)", seed.seconds(), seed.rate());

      log("walking ListBackupJobs end to end (MaxResults %d)", LIST_PAGE);
      long walkStart = System.nanoTime();
      long listed = onLoop(this::walk).get(30, TimeUnit.MINUTES);
      double walkSeconds = (System.nanoTime() - walkStart) / 1e9;
      String walkNote = String.format(Locale.ROOT,
          "Full ListBackupJobs walk before measuring: %,d jobs in %,d pages, %.1f s, one request at a time%s.",
          listed, pageTokens.size(), walkSeconds, listed == jobIds.length ? " (every seeded job exactly once)" : "");
      if (listed != jobIds.length) {
        walkNote += String.format(Locale.ROOT, " **MISMATCH: %,d seeded**.", jobIds.length);
        code = 1;
      }
      notes.add(walkNote);
      log("%s", walkNote);

      results.add(measure("DescribeBackupJob", this::describeOne));
      results.add(measure("ListBackupJobs (paged)", listWalker()));
      results.add(measure("StartBackupJob", this::startOne));
      // the jobs StartBackupJob answered with exist: describe a sample of them
      List<String> sample = started.stream().limit(200).toList();
      long found = 0;
      for (String id : sample) {
        if (onLoop(() -> send(signer.sign("GET", "/backup-jobs/" + id, null))).get(60, TimeUnit.SECONDS).status() == 200) found++;
      }
      notes.add(String.format(Locale.ROOT, "StartBackupJob (measured and warm-up) answered %,d distinct job ids; %d of a sample of %d"
          + " are found by DescribeBackupJob afterwards.", started.size(), found, sample.size()));
      if (found != sample.size()) code = 1;
    } catch (Exception e) {
      log("failed: %s", e);
      notes.add("The run stopped early: " + e);
      code = 1;
    } finally {
      http.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    String report = report(results);
    System.out.print(report);
    if (out != null) Files.writeString(out, report);
    return code;
  }

  // ---- operations ------------------------------------------------------------------------

  private static final String ROLE_FMT = "arn:aws:iam::%s:role/vaultgate-bench";

  String startBody() {
    long n = resourceCounter++;
    return new JsonObject()
        .put("BackupVaultName", vault)
        .put("ResourceArn", "arn:aws:backup-gateway:" + region + ":" + account + ":vm/vm-bench-" + (n % 5000))
        .put("IamRoleArn", String.format(ROLE_FMT, account))
        .encode();
  }

  Future<Resp> seedOne(long i) {
    return send(signer.sign("PUT", "/backup-jobs", startBody())).map(r -> {
      if (r.status() == 200) jobIds[(int) i] = r.json().getString("BackupJobId");
      return r;
    });
  }

  final java.util.Set<String> started = new java.util.HashSet<>();

  Future<Resp> startOne(long i) {
    return send(signer.sign("PUT", "/backup-jobs", startBody())).map(r -> {
      if (r.status() == 200) {
        String id = r.json().getString("BackupJobId");
        if (id == null || !started.add(id)) return new Resp(597, r.body(), r.nanos());
      }
      return r;
    });
  }

  Future<Resp> describeOne(long i) {
    String id = jobIds[random.nextInt(jobIds.length)];
    return send(signer.sign("GET", "/backup-jobs/" + id, null)).map(r -> {
      // a cheap check (no JSON parse, to keep the generator's CPU for the server): the answer names the job
      if (r.status() == 200 && !r.body().toString().contains(id)) return new Resp(599, r.body(), r.nanos());
      return r;
    });
  }

  /** ListBackupJobs pages for one virtual user: from a random page, follow NextToken up to LIST_RUN pages. */
  Supplier<Op> listWalker() {
    return () -> new Op() {
      String token;
      int left;

      @Override
      public Future<Resp> call(long i) {
        if (left == 0) {
          token = pageTokens.get(random.nextInt(pageTokens.size()));
          left = LIST_RUN;
        }
        return send(signer.sign("GET", "/backup-jobs/", null, "maxResults", String.valueOf(LIST_PAGE), "nextToken", token))
            .map(r -> {
              if (r.status() == 200) {
                JsonObject j = r.json();
                JsonArray page = j.getJsonArray("BackupJobs");
                token = j.getString("NextToken");
                left = token == null ? 0 : left - 1;
                if (page == null || (page.size() != LIST_PAGE && token != null)) return new Resp(598, r.body(), r.nanos());
              } else {
                left = 0;
              }
              return r;
            });
      }
    };
  }

  /** Walks the whole listing once, one page after the other; records every page's token. */
  Future<Long> walk() {
    Promise<Long> done = Promise.promise();
    pageTokens.clear();
    walkFrom(null, 0, done);
    return done.future();
  }

  private void walkFrom(String token, long seen, Promise<Long> done) {
    pageTokens.add(token);
    send(signer.sign("GET", "/backup-jobs/", null, "maxResults", String.valueOf(LIST_PAGE), "nextToken", token))
        .onFailure(done::fail)
        .onSuccess(r -> {
          if (r.status() != 200) {
            done.fail("ListBackupJobs: " + r.status() + " " + r.body());
            return;
          }
          JsonObject j = r.json();
          long n = seen + j.getJsonArray("BackupJobs", new JsonArray()).size();
          String next = j.getString("NextToken");
          if (next == null) done.complete(n);
          else walkFrom(next, n, done);
        });
  }

  // ---- the closed loop -------------------------------------------------------------------

  /** One request of a phase; {@code i} is its sequence number. */
  interface Op {
    Future<Resp> call(long i);
  }

  Stats measure(String name, Op op) throws Exception {
    return measure(name, () -> op);
  }

  Stats measure(String name, Supplier<Op> perUser) throws Exception {
    if (warmupSeconds > 0) {
      log("%s: warm-up %d s", name, warmupSeconds);
      Stats w = phase(name + " (warm-up)", Duration.ofSeconds(warmupSeconds), Long.MAX_VALUE, false, perUser);
      if (w.errorCount > 0) log("%s: %d errors during warm-up: %s", name, w.errorCount, w.errors);
    }
    log("%s: measuring %d s, %d in flight", name, seconds, concurrency);
    long from = System.currentTimeMillis();
    Stats s = phase(name, Duration.ofSeconds(seconds), Long.MAX_VALUE, false, perUser);
    phases.append(name).append('\t').append(from).append('\t').append(System.currentTimeMillis()).append('\n');
    if (phasesFile != null) Files.writeString(phasesFile, phases);
    log("%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors %s", name, s.rate(),
        s.latency.percentileMicros(0.50) / 1000.0, s.latency.percentileMicros(0.99) / 1000.0, s.errorCount, s.errors);
    return s;
  }

  Stats phase(String name, Duration duration, long maxRequests, boolean stopOnFirstErrors, Op op) throws Exception {
    return phase(name, duration, maxRequests, stopOnFirstErrors, () -> op);
  }

  /** Runs {@code concurrency} users until the duration is over or maxRequests were issued. */
  Stats phase(String name, Duration duration, long maxRequests, boolean stopOnFirstErrors, Supplier<Op> perUser)
      throws Exception {
    Stats s = new Stats(name);
    CompletableFuture<Stats> finished = new CompletableFuture<>();
    double[] cpu0 = {generatorCpuSeconds(), treeCpuSeconds(serverPid), treeCpuSeconds(postgresPid)};
    ctx.runOnContext(v -> {
      s.startNanos = System.nanoTime();
      long deadline = s.startNanos + duration.toNanos();
      long[] issued = {0};
      int[] running = {concurrency};
      for (int u = 0; u < concurrency; u++) {
        Op op = perUser.get();
        new Object() {
          void next() {
            boolean stop = System.nanoTime() >= deadline || issued[0] >= maxRequests
                || (stopOnFirstErrors && s.errorCount >= 1000);
            if (stop) {
              if (--running[0] == 0) {
                s.endNanos = System.nanoTime();
                finished.complete(s);
              }
              return;
            }
            long i = issued[0]++;
            Future<Resp> f;
            try {
              f = op.call(i);
            } catch (RuntimeException e) {
              f = Future.failedFuture(e);
            }
            f.onComplete(ar -> {
              if (ar.succeeded()) {
                Resp r = ar.result();
                if (r.status() >= 200 && r.status() < 300) {
                  s.latency.record(r.nanos() / 1000);
                } else {
                  s.error(errorKind(r));
                }
              } else {
                s.error(ar.cause().getClass().getSimpleName() + ": " + ar.cause().getMessage());
              }
              if (ar.succeeded()) next();
              else ctx.runOnContext(x -> next());
            });
          }
        }.next();
      }
    });
    Stats done = finished.get(duration.toSeconds() + 600, TimeUnit.SECONDS);
    double[] cpu1 = {generatorCpuSeconds(), treeCpuSeconds(serverPid), treeCpuSeconds(postgresPid)};
    done.generatorCpu = cpu1[0] - cpu0[0];
    done.serverCpu = cpu1[1] - cpu0[1];
    done.postgresCpu = cpu1[2] - cpu0[2];
    return done;
  }

  private static String errorKind(Resp r) {
    String type = null;
    try {
      JsonObject j = r.json();
      type = j.getString("__type", j.getString("error"));
    } catch (RuntimeException e) {
      // not JSON
    }
    if (r.status() == 599) return "599 wrong job described";
    if (r.status() == 598) return "598 short page";
    if (r.status() == 597) return "597 missing or repeated BackupJobId";
    return r.status() + (type == null ? "" : " " + type);
  }

  Future<Resp> send(Signer.Signed signed) {
    RequestOptions o = new RequestOptions()
        .setMethod(signed.body() == null ? HttpMethod.GET : HttpMethod.PUT)
        .setURI(signed.pathAndQuery());
    for (Map.Entry<String, String> h : signed.headers()) {
      if (!h.getKey().equalsIgnoreCase("host")) o.addHeader(h.getKey(), h.getValue());
    }
    long t0 = System.nanoTime();
    return http.request(o)
        .compose(req -> signed.body() == null ? req.send() : req.send(Buffer.buffer(signed.body())))
        .compose(resp -> resp.body().map(b -> new Resp(resp.statusCode(), b, System.nanoTime() - t0)));
  }

  <T> CompletableFuture<T> onLoop(Supplier<Future<T>> action) {
    CompletableFuture<T> f = new CompletableFuture<>();
    ctx.runOnContext(v -> action.get().onComplete(ar -> {
      if (ar.succeeded()) f.complete(ar.result());
      else f.completeExceptionally(ar.cause());
    }));
    return f;
  }

  // ---- CPU accounting ------------------------------------------------------------------

  static double generatorCpuSeconds() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime() / 1e9;
    return Double.NaN;
  }

  /** user+system CPU seconds of a process and its live descendants, from /proc (Linux); NaN if unknown. */
  static double treeCpuSeconds(long pid) {
    if (pid <= 0) return Double.NaN;
    var root = ProcessHandle.of(pid);
    if (root.isEmpty()) return Double.NaN;
    double total = procCpu(pid);
    for (var p : (Iterable<ProcessHandle>) root.get().descendants()::iterator) {
      double c = procCpu(p.pid());
      if (!Double.isNaN(c)) total += c;
    }
    return total;
  }

  private static double procCpu(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // after "pid (comm) ": f[0] is state (field 3); utime is field 14, stime 15
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  // ---- report ------------------------------------------------------------------------------

  String report(List<Stats> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("## Load generator\n\n");
    sb.append(String.format(Locale.ROOT,
        "- Java load generator `dev.vaultgate.coordinator.bench.CoordinatorBench` (separate JVM, one Vert.x event loop),"
            + " HTTP/1.1 keep-alive to http://%s:%d, **%d requests in flight** (closed loop, %d connections)%n",
        host, port, concurrency, concurrency));
    sb.append("- Every request signed afresh with the AWS SDK's SigV4 signer (`AwsV4HttpSigner`, service `backup`,"
        + " region ").append(region).append(")\n");
    sb.append(String.format(Locale.ROOT,
        "- Seeded %,d backup jobs through StartBackupJob (the API, real rows), one vault, 5,000 distinct VM ARNs%n", jobs));
    sb.append(String.format(Locale.ROOT,
        "- Per operation: %d s warm-up (not counted), then %d s measured%n", warmupSeconds, seconds));
    sb.append("- DescribeBackupJob: a uniformly random seeded job id per request\n");
    sb.append(String.format(Locale.ROOT,
        "- ListBackupJobs: MaxResults %d, each user starts at a random page of the full walk and follows NextToken"
            + " for up to %d pages (so pages of every depth of the listing are read)%n", LIST_PAGE, LIST_RUN));
    sb.append("- StartBackupJob: new jobs in the same vault (the table grows during this phase)\n");
    sb.append("- Latency: from just after signing to the last byte of the response; errors are non-2xx answers,"
        + " wrong answers and transport failures\n");
    sb.append("- CPU columns: CPU-seconds per wall-second (1.00 = one core) of the generator JVM, the coordinator JVM"
        + " and PostgreSQL (postmaster and its backends), from /proc\n\n");

    sb.append("## Results\n\n");
    sb.append("| Operation | Requests | Errors | Requests/s | p50 ms | p90 ms | p99 ms | max ms | CPU gen | CPU coord | CPU pg |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Stats s : results) {
      double secs = s.seconds();
      sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n",
          s.name, s.latency.count(), s.errorCount, s.rate(),
          s.latency.percentileMicros(0.50) / 1000.0, s.latency.percentileMicros(0.90) / 1000.0,
          s.latency.percentileMicros(0.99) / 1000.0, s.latency.maxMicros() / 1000.0,
          s.generatorCpu / secs, s.serverCpu / secs, s.postgresCpu / secs));
    }
    sb.append('\n');
    for (Stats s : results) {
      if (!s.errors.isEmpty()) sb.append("- Errors of ").append(s.name).append(": ").append(s.errors).append('\n');
    }
    for (String n : notes) sb.append("- ").append(n).append('\n');
    sb.append('\n');

    sb.append("## Target (issue 4): Describe* ≥ 2,000 signed requests/s and p99 < 50 ms on 2 cores\n\n");
    sb.append("| Check | Measured | Verdict |\n|---|---:|---|\n");
    for (Stats s : results) {
      if (s.name.contains("seeding")) continue;
      double p99 = s.latency.percentileMicros(0.99) / 1000.0;
      boolean ok = s.errorCount == 0;
      if (s.name.startsWith("Describe")) {
        sb.append(String.format(Locale.ROOT, "| %s requests/s ≥ 2,000 | %,.0f | %s |%n", s.name, s.rate(),
            s.rate() >= 2000 && ok ? "PASS" : "FAIL"));
      }
      sb.append(String.format(Locale.ROOT, "| %s p99 < 50 ms | %.2f ms | %s |%n", s.name, p99,
          p99 < 50 && ok && s.latency.count() > 0 ? "PASS" : "FAIL"));
    }
    sb.append('\n');
    return sb.toString();
  }

  static void log(String fmt, Object... args) {
    System.err.printf(Locale.ROOT, "%s bench: %s%n", Instant.now().toString().substring(11, 19), String.format(Locale.ROOT, fmt, args));
  }
}
