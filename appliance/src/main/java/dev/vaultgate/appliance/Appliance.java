package dev.vaultgate.appliance;

import dev.vaultgate.agent.gateway.CoordinatorClient;
import dev.vaultgate.agent.gateway.GatewayAgent;
import dev.vaultgate.agent.gateway.GatewayConfig;
import dev.vaultgate.agent.gateway.VaultAccess;
import dev.vaultgate.appliance.volumes.LocalVolumeResources;
import dev.vaultgate.agent.bandwidth.BandwidthLimitedStorage;
import dev.vaultgate.agent.bandwidth.BandwidthSchedule;
import dev.vaultgate.agent.gateway.JobObserver;
import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.runtime.GatewayRuntime;
import dev.vaultgate.appliance.runtime.HealthMonitor;
import dev.vaultgate.appliance.runtime.JobBoard;
import dev.vaultgate.appliance.runtime.ProtectedResource;
import dev.vaultgate.appliance.tls.GatewayIdentity;
import dev.vaultgate.appliance.tls.MutualTls;
import dev.vaultgate.appliance.tls.SelfSignedWebCertificate;
import dev.vaultgate.appliance.volumes.BlockDevices;
import dev.vaultgate.appliance.volumes.JobSlots;
import dev.vaultgate.appliance.volumes.LocalVolumeJobs;
import dev.vaultgate.appliance.volumes.Lvm;
import dev.vaultgate.appliance.web.WebUi;
import dev.vaultgate.vault.backup.BackupResult;
import dev.vaultgate.vault.backup.FileBlockSource;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.repo.KeyGeneration;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.storage.ObjectNotFoundException;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One running gateway: its config, the job board and health monitor, the local-volume jobs on the vault, and the
 * web UI over HTTPS. Started by {@code vaultgate run}; the gateway agent's job loop plugs in through the
 * {@link GatewayRuntime} it implements. The vault is opened on first use, not at start, so the UI comes up (and
 * shows S3 as down) even while S3 is unreachable.
 */
public final class Appliance implements GatewayRuntime {
  private static final Logger log = LoggerFactory.getLogger(Appliance.class);
  /** How often the appliance looks whether the agent ran its maintenance (cheap: a counter). */
  static final long MAINTENANCE_FOLLOW_MS = 2_000;

  /** What tests and the command line may choose; {@link #defaults()} is production. */
  public record Options(Duration healthInterval, LocalVolumeJobs.SourceOpener opener, Clock clock) {
    public static Options defaults() {
      return new Options(Duration.ofSeconds(15), FileBlockSource::open, Clock.systemUTC());
    }

    public Options withHealthInterval(Duration d) {
      return new Options(d, opener, clock);
    }

    public Options withOpener(LocalVolumeJobs.SourceOpener o) {
      return new Options(healthInterval, o, clock);
    }

    public Options withClock(Clock c) {
      return new Options(healthInterval, opener, c);
    }
  }

  private final Vertx vertx;
  private final ApplianceConfig config;
  private final Options options;
  private final JobBoard jobs;
  private final HealthMonitor health;
  private final WorkerExecutor blocking;
  private final VaultStorage storage;
  private final VaultStorage probeStorage;
  private final Map<String, ProtectedResource> resources = new LinkedHashMap<>();
  private final BandwidthSchedule configBandwidth;
  /** One for every job of this gateway: it knows the snapshots running jobs hold, which the leftover removal spares. */
  private final Lvm lvm = new Lvm();
  private long maintenanceTimer = -1;
  private int maintenanceRunsSeen;
  private Future<LocalVolumeJobs> volumeJobs;
  private Repository repository;
  /** The vault through {@link #vaults} when its keys are KMS-wrapped (closed with the appliance); else null. */
  private VaultAccess.Opened kmsVault;
  /** Kept opens replaced after a key rotation, closed with the appliance. */
  private final List<VaultAccess.Opened> retiredOpens = new ArrayList<>();
  /** maxConcurrentJobs for "Back up now" into a KMS vault, each backup on a vault opened for it. */
  private final JobSlots kmsBackups;
  /** Opens vaults by URL as the agent does: the appliance's own KMS vault, and the vaults leased jobs name. */
  private final VaultAccess vaults;
  private HttpServer webServer;
  private HttpClient coordinatorClient;
  private volatile GatewayAgent agent;

  private Appliance(Vertx vertx, ApplianceConfig config, Options options) {
    this.vertx = vertx;
    this.config = config;
    this.options = options;
    this.jobs = new JobBoard(vertx);
    this.health = new HealthMonitor(vertx);
    this.blocking = vertx.createSharedWorkerExecutor("local-volumes", Math.max(2, config.maxConcurrentJobs() + 1));
    this.configBandwidth = schedule(config.bandwidth());
    // Uploads are paced to the bandwidth schedule; the health probe and reads are not.
    this.storage = new BandwidthLimitedStorage(vertx, ApplianceStorage.open(vertx, config), this::bandwidthSchedule, options.clock());
    this.probeStorage = ApplianceStorage.openRaw(vertx, config);
    this.kmsBackups = new JobSlots(config.maxConcurrentJobs());
    this.vaults = new VaultAccess(vertx, config.vault().masterKeyFile(), s3Credentials(config),
        s -> new BandwidthLimitedStorage(vertx, s, this::bandwidthSchedule, options.clock()), config.kms().map(Appliance::kms).orElse(null))
        .cacheIndexSegmentsUnder(config.dataDir().resolve("cache"));
    for (ApplianceConfig.LocalVolume v : config.localVolumes()) {
      resources.put(key(ProtectedResource.LOCAL_VOLUME, v.name()),
          new ProtectedResource(ProtectedResource.LOCAL_VOLUME, v.name(), v.path().toString(), v.tags()));
    }
  }

  /** Starts the appliance: health checks, then the web UI on the config's port. */
  public static Future<Appliance> start(Vertx vertx, ApplianceConfig config, Options options) {
    Appliance a = new Appliance(vertx, config, options);
    return a.startParts().map(a);
  }

  private Future<Void> startParts() {
    health.add(new HealthMonitor.Check() {
      @Override
      public String name() {
        return "s3";
      }

      @Override
      public String description() {
        return "S3 (vault)";
      }

      @Override
      public Future<Void> probe() {
        return probeS3();
      }
    });
    health.add(new HealthMonitor.Check() {
      @Override
      public String name() {
        return "coordinator";
      }

      @Override
      public String description() {
        return "Coordinator";
      }

      @Override
      public Future<Void> probe() {
        return probeCoordinator();
      }
    });
    health.add(new HealthMonitor.Check() {
      @Override
      public String name() {
        return "vcenter";
      }

      @Override
      public String description() {
        return "vCenter";
      }

      @Override
      public boolean configured() {
        GatewayAgent a = agent;
        return a != null && a.vcenterConfigured();
      }

      @Override
      public Future<Void> probe() {
        GatewayAgent a = agent;
        return a == null ? Future.failedFuture("the gateway agent is not running") : a.probeVcenter();
      }
    });
    health.start(options.healthInterval());
    Path tlsDir = config.dataDir().resolve("tls");
    return blocking.executeBlocking(() -> {
      if (Files.isReadable(config.tls().certificateFile()) && Files.isReadable(config.tls().privateKeyFile())) {
        return new Path[] {config.tls().certificateFile(), config.tls().privateKeyFile()};
      }
      Files.createDirectories(tlsDir);
      Path crt = tlsDir.resolve("webui-selfsigned.crt");
      Path key = tlsDir.resolve("webui-selfsigned.key");
      SelfSignedWebCertificate.ensure(crt, key, config.gatewayName());
      log.info("no gateway certificate yet: the web UI serves a self-signed one ({})", crt);
      return new Path[] {crt, key};
    }, false).compose(certAndKey -> new WebUi(vertx, this, WebUi.actions(this::backupVolume, this::discoverBlockDevices, this::certificateJson),
            options.clock())
        .listen(MutualTls.webUiServer(certAndKey[0], certAndKey[1], config.webUi().host(), config.webUi().port()))
        .recover(e -> Future.failedFuture(new IllegalStateException("the web UI cannot listen on " + config.webUi().host() + ":"
            + config.webUi().port() + " (webUi.host, webUi.port): " + e.getMessage(), e))))
        .onSuccess(s -> {
          webServer = s;
          log.info("gateway {} web UI on https://{}:{}/", config.gatewayName(), config.webUi().host(), s.actualPort());
        })
        .compose(s -> removeLeftoverSnapshots("at start"))
        .compose(v -> startAgent())
        .onSuccess(v -> followMaintenance());
  }

  /**
   * Removes the LVM snapshots backups that died with the gateway left. At start it runs before the agent resumes
   * any job (a resumed job takes a snapshot of the same name); later, once in each maintenance window. Never fails:
   * what cannot be removed is logged and tried again next time.
   */
  private Future<Void> removeLeftoverSnapshots(String when) {
    return blocking.executeBlocking(lvm::removeLeftovers, false).<Void>map(removed -> {
      if (!removed.isEmpty()) {
        log.info("gateway {}: {} removed {} leftover LVM snapshots: {}", config.gatewayName(), when, removed.size(), removed);
      }
      return null;
    }).recover(e -> {
      log.warn("gateway {}: {} the leftover LVM snapshots were not removed: {}", config.gatewayName(), when, e.getMessage());
      return Future.succeededFuture();
    });
  }

  /**
   * The agent runs its maintenance once in each window, after the jobs it holds have ended; the LVM leftovers go
   * right after it. The agent knows nothing of LVM, so the appliance watches its count of maintenance runs.
   */
  private void followMaintenance() {
    maintenanceTimer = vertx.setPeriodic(MAINTENANCE_FOLLOW_MS, id -> {
      GatewayAgent a = agent;
      if (a == null || a.maintenanceRuns() == maintenanceRunsSeen) {
        return;
      }
      maintenanceRunsSeen = a.maintenanceRuns();
      removeLeftoverSnapshots("maintenance window");
    });
  }

  /**
   * Starts the gateway agent (heartbeats, inventory, VMware backup and restore jobs) when the gateway has
   * joined: it is then known by its certificate on the coordinator's gateway listener and never registers
   * again. Before that, only the web UI and local volumes run; 'vaultgate register' then a restart joins it.
   */
  private Future<Void> startAgent() {
    return blocking.executeBlocking(() -> Files.isReadable(config.tls().certificateFile())
            ? RegisteredGateway.load(config.dataDir()) : java.util.Optional.<RegisteredGateway>empty(), false)
        .compose(joined -> {
          if (joined.isEmpty()) {
            log.info("gateway {} has not joined a coordinator yet: run 'vaultgate register', then restart", config.gatewayName());
            return Future.succeededFuture();
          }
          RegisteredGateway id = joined.get();
          ApplianceConfig.Tls tls = config.tls();
          CoordinatorClient client = CoordinatorClient.mutualTls(vertx, config.coordinatorUrl(), id.region(), Duration.ofSeconds(30),
              new PemKeyCertOptions().setCertPath(tls.certificateFile().toString()).setKeyPath(tls.privateKeyFile().toString()),
              new PemTrustOptions().addCertPath(tls.coordinatorCaFile().toString()));
          GatewayConfig agentConfig = agentConfig(id);
          // leased local-volume jobs upload at the pace of the same schedule as "Back up now"
          LocalVolumeResources volumes = new LocalVolumeResources(vaults, jobs, blocking, lvm, options.opener(), config.gatewayName(), config.localVolumes());
          GatewayAgent.Options agentOptions = new GatewayAgent.Options(options.clock(), configBandwidth, boardObserver());
          return GatewayAgent.start(vertx, agentConfig, client, new GatewayAgent.Joined(id.gatewayId(), id.gatewayArn()), volumes,
                  agentOptions)
              .onSuccess(a -> {
                agent = a;
                log.info("gateway {} ({}) runs its agent against {}", config.gatewayName(), id.gatewayArn(), config.coordinatorUrl());
              })
              .mapEmpty();
        });
  }

  /**
   * The agent's settings from the appliance's: one vault key, one job limit, state under dataDir. Heartbeats
   * every 10 s: a new hypervisor or a TestHypervisorConfiguration reaches the gateway with the next one.
   */
  GatewayConfig agentConfig(RegisteredGateway id) {
    AwsCredentialsProvider s3 = s3Credentials(config);
    return new GatewayConfig(config.coordinatorUrl(), id.region(), config.gatewayName(), null, null, null, config.vault().url(),
        config.vault().masterKeyFile(), config.dataDir().resolve("staging"), config.dataDir().resolve("agent"), Map.of(),
        config.maxConcurrentJobs(), Duration.ofSeconds(5), Duration.ofSeconds(10), 300, Duration.ofMinutes(5),
        GatewayConfig.DEFAULT_TRIGGER, s3, config.kms().map(Appliance::kms).orElse(null));
  }

  /** The config's S3 credentials; null: the SDK's default chain. */
  static AwsCredentialsProvider s3Credentials(ApplianceConfig config) {
    return config.s3().<AwsCredentialsProvider>map(c -> StaticCredentialsProvider.create(
        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey()))).orElse(null);
  }

  /** The agent's KMS from the appliance's {@code kms} keys. */
  static GatewayConfig.Kms kms(ApplianceConfig.Kms k) {
    AwsCredentialsProvider credentials = k.accessKeyId().isPresent()
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(k.accessKeyId().get(), k.secretAccessKey().orElseThrow()))
        : null;
    return new GatewayConfig.Kms(k.endpoint().orElse(null), k.region(), credentials);
  }

  /** The agent's VM, copy and restore jobs on the job board, as local-volume jobs are. */
  private JobObserver boardObserver() {
    return (jobId, kind, resource) -> {
      JobBoard.Job job = jobs.start(kind, resource);
      return new JobObserver.Job() {
        @Override
        public void progress(long bytesDone, long bytesTotal) {
          job.progress(bytesDone, bytesTotal);
        }

        @Override
        public void succeeded(String result, String summary) {
          job.succeeded(result, summary);
        }

        @Override
        public void failed(String error) {
          job.failed(error);
        }
      };
    };
  }

  /** The upload schedule in force: the coordinator's (PutBandwidthRateLimitSchedule) once the agent has one, else the config's. */
  @Override
  public BandwidthSchedule bandwidthSchedule() {
    GatewayAgent a = agent;
    return a == null ? configBandwidth : a.bandwidthSchedule();
  }

  @Override
  public String bandwidthScheduleSource() {
    GatewayAgent a = agent;
    return a != null && a.bandwidthSchedule() != configBandwidth ? "the coordinator's PutBandwidthRateLimitSchedule"
        : "appliance.conf";
  }

  static BandwidthSchedule schedule(ApplianceConfig.Bandwidth b) {
    return new BandwidthSchedule(b.uploadBitsPerSecond().map(OptionalLong::of).orElse(OptionalLong.empty()),
        b.schedule().stream().map(i -> BandwidthSchedule.interval(i.days(), i.start(), i.end(), i.uploadBitsPerSecond())).toList());
  }

  /** The running agent, or null before the gateway joined. */
  public GatewayAgent agent() {
    return agent;
  }

  /** The port the web UI listens on. */
  public int webPort() {
    return webServer.actualPort();
  }

  private Future<Void> probeS3() {
    return probeStorage.stat("config").<Void>mapEmpty().recover(e -> !(e instanceof ObjectNotFoundException) ? Future.failedFuture(e)
        // a KMS vault is created by its first backup; one wrapped by the master key file is made by 'vaultgate vault init'
        : config.vault().kmsKeyArn().isPresent() ? Future.succeededFuture()
        : Future.failedFuture("S3 answers, but " + config.vault().url() + " holds no vault (run 'vaultgate vault init')"));
  }

  private Future<Void> probeCoordinator() {
    if (coordinatorClient == null) {
      try {
        coordinatorClient = vertx.createHttpClient(MutualTls.coordinatorClient(config.tls()).setConnectTimeout(5000));
      } catch (IllegalArgumentException notRegistered) {
        return Future.failedFuture(notRegistered.getMessage());
      }
    }
    var u = config.coordinatorUrl();
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost(u.getHost()).setPort(u.getPort() < 0 ? 443 : u.getPort())
        .setURI("/agent/v1/heartbeat").setSsl(true).setTimeout(5000);
    ro.putHeader("Content-Type", "application/json");
    // the handshake proves the coordinator's CA and this certificate; a 401 there is a gateway it no longer knows
    return coordinatorClient.request(ro).compose(req -> req.send("{}")).compose(res -> res.body().compose(body -> {
      if (res.statusCode() / 100 == 2) return Future.<Void>succeededFuture();
      String message;
      try {
        message = body.toJsonObject().getString("message", "");
      } catch (RuntimeException notJson) {
        message = "";
      }
      return Future.<Void>failedFuture("the coordinator refuses this gateway (HTTP " + res.statusCode() + "): " + message);
    }));
  }

  /**
   * Starts a backup of a configured local volume; the future ends with the job. A vault with a KMS key is opened for
   * each backup, as the agent opens a job's vault, so a key disabled since the last backup stops the next one: the
   * job fails on the board in one line naming the vault, the key and its state, and nothing is written.
   */
  public Future<BackupResult> backupVolume(String name) {
    if (config.vault().kmsKeyArn().isEmpty()) {
      return volumeJobs().compose(v -> v.backup(name));
    }
    return kmsBackups.submit(() -> vaults.openForWriting(config.vault().url(), null, config.vault().kmsKeyArn().get()).transform(ar -> {
      if (ar.failed()) {
        jobs.start("BACKUP", name).failed(LocalVolumeJobs.oneLine(ar.cause()));
        return Future.failedFuture(ar.cause());
      }
      VaultAccess.Opened opened = ar.result();
      replaceKeptOpenIfBehind(opened.repo().currentKeyGeneration());
      return new LocalVolumeJobs(opened.repo(), jobs, blocking, lvm, options.opener(), config.gatewayName(), config.localVolumes(), 1)
          .backup(name)
          .eventually(() -> {
            opened.close();
            return Future.succeededFuture();
          });
    }));
  }

  /**
   * The local-volume jobs on the opened vault (its points, restores); opening is retried on the next call after a
   * failure. A vault with a KMS key ({@code vault.kmsKeyArn}) is opened as the agent opens a job's vault ({@link
   * VaultAccess}): created with that key on first use, and opened only while the key is enabled; a disabled, deleted
   * or unknown key fails in one line naming the vault, the key and its state, before anything is written. Opened
   * without its index, as the agent's: the first backup reads it, and a restore before that reads only its point's.
   */
  public synchronized Future<LocalVolumeJobs> volumeJobs() {
    if (volumeJobs != null) {
      return volumeJobs;
    }
    if (config.vault().kmsKeyArn().isPresent()) {
      volumeJobs = vaults.open(config.vault().url(), null, config.vault().kmsKeyArn().get())
          .map(opened -> {
            synchronized (this) {
              kmsVault = opened;
              repository = opened.repo();
            }
            return new LocalVolumeJobs(opened.repo(), jobs, blocking, lvm, options.opener(), config.gatewayName(), config.localVolumes(),
                config.maxConcurrentJobs());
          });
    } else {
      volumeJobs = blocking.executeBlocking(() -> LocalKeyWrapper.load(config.vault().masterKeyFile()), false)
          .compose(key -> Repository.openWithoutIndex(vertx, storage, key))
          .map(repo -> {
            synchronized (this) {
              repository = repo;
            }
            return new LocalVolumeJobs(repo, jobs, blocking, lvm, options.opener(), config.gatewayName(), config.localVolumes(),
                config.maxConcurrentJobs());
          });
    }
    Future<LocalVolumeJobs> opening = volumeJobs;
    opening.onFailure(e -> {
      synchronized (this) {
        if (volumeJobs == opening) {
          volumeJobs = null;
        }
      }
    });
    return opening;
  }

  /**
   * Opening for a backup adds a data-key generation after a KMS rotation; the open kept for restores and the points
   * list knows only the generations it loaded, so it cannot read what is sealed under the new one: the next restore
   * opens the vault again. The old open stays alive until the appliance closes (a restore may still be using it).
   */
  private synchronized void replaceKeptOpenIfBehind(KeyGeneration newest) {
    if (kmsVault != null && !Objects.equals(kmsVault.repo().currentKeyGeneration().id(), newest.id())) {
      log.info("vault {}: data-key generation {} added by a backup; restores open the vault again", config.vault().url(),
          newest.id());
      retiredOpens.add(kmsVault);
      kmsVault = null;
      repository = null;
      volumeJobs = null;
    }
  }

  private Future<JsonArray> discoverBlockDevices() {
    return blocking.executeBlocking(() -> {
      JsonArray out = new JsonArray();
      BlockDevices.discover().forEach(d -> out.add(d.toJson()));
      return out;
    }, false);
  }

  private JsonObject certificateJson() {
    Path file = config.tls().certificateFile();
    try {
      if (!Files.isReadable(file)) {
        return null;
      }
      X509Certificate c = GatewayIdentity.parseCertificate(Files.readString(file), "gateway certificate " + file);
      return new JsonObject().put("subject", c.getSubjectX500Principal().getName()).put("issuer", c.getIssuerX500Principal().getName())
          .put("serial", c.getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT)).put("notAfter", c.getNotAfter().toInstant().toString());
    } catch (Exception e) {
      return new JsonObject().put("subject", "unreadable: " + e.getMessage()).put("issuer", "").put("serial", "").put("notAfter", "");
    }
  }

  @Override
  public ApplianceConfig config() {
    return config;
  }

  @Override
  public JobBoard jobs() {
    return jobs;
  }

  @Override
  public HealthMonitor health() {
    return health;
  }

  @Override
  public synchronized List<ProtectedResource> resources() {
    List<ProtectedResource> all = new ArrayList<>(resources.values());
    GatewayAgent a = agent;
    if (a != null) {
      for (JsonObject vm : a.protectedVms()) {
        Map<String, String> tags = new LinkedHashMap<>();
        vm.getJsonObject("tags").forEach(t -> tags.put(t.getKey(), String.valueOf(t.getValue())));
        List<ProtectedResource.Volume> volumes = new ArrayList<>();
        vm.getJsonArray("disks").forEach(d -> volumes.add(new ProtectedResource.Volume(((JsonObject) d).getString("name"),
            ((JsonObject) d).getLong("capacityBytes"))));
        all.add(new ProtectedResource(ProtectedResource.VIRTUAL_MACHINE, vm.getString("name"), vm.getString("host"), tags, volumes));
      }
    }
    return all;
  }

  @Override
  public synchronized void addResources(List<ProtectedResource> more) {
    more.forEach(r -> resources.put(key(r.kind(), r.name()), r));
  }

  @Override
  public String version() {
    return version(Appliance.class);
  }

  static String version(Class<?> c) {
    String v = c.getPackage().getImplementationVersion();
    return v == null ? "development build" : v;
  }

  private static String key(String kind, String name) {
    return kind + "/" + name;
  }

  /** Stops the health checks and the web UI, and closes the vault and storage. */
  public Future<Void> close() {
    health.stop();
    if (maintenanceTimer >= 0) {
      vertx.cancelTimer(maintenanceTimer);
    }
    Future<Void> stopAgent = agent == null ? Future.succeededFuture() : agent.close();
    Future<Void> web = stopAgent.eventually(() -> webServer == null ? Future.succeededFuture() : webServer.close());
    return web.eventually(() -> {
      synchronized (this) {
        if (kmsVault != null) {
          kmsVault.close();
        } else if (repository != null) {
          repository.close();
        }
        retiredOpens.forEach(VaultAccess.Opened::close);
      }
      storage.close();
      probeStorage.close();
      if (coordinatorClient != null) {
        return coordinatorClient.close();
      }
      return Future.succeededFuture();
    });
  }
}
