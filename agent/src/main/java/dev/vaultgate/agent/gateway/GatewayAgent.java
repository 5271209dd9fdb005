package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.bandwidth.BandwidthSchedule;
import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.disk.BandwidthLimiter;
import dev.vaultgate.agent.vsphere.VmChangeFeed;
import dev.vaultgate.agent.vsphere.Thumbprints;
import dev.vaultgate.agent.vsphere.VcenterCertificateException;
import dev.vaultgate.agent.vsphere.VcenterEndpoint;
import dev.vaultgate.agent.vsphere.VsphereClient;
import dev.vaultgate.agent.vsphere.VsphereException;
import dev.vaultgate.agent.vsphere.VmNotFoundException;
import dev.vaultgate.agent.vsphere.VsphereTags;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway agent: registers with the coordinator, then runs three loops on one Vert.x
 * context until closed:
 * <ul>
 *   <li>heartbeat, at the interval the coordinator asks for;</li>
 *   <li>inventory: every VM of the vCenter reported with its ARN and tags, at {@code inventoryInterval} and
 *       whenever {@link #syncInventory()} is called (the change feed calls it); VMs whose trigger attribute says
 *       {@code now} get an on-demand backup;</li>
 *   <li>jobs: leases backup, restore and copy jobs while fewer than {@code maxJobs} run, each through a
 *       {@link BackupJobRunner}, {@link RestoreJobRunner} (a restore test: {@link RestoreTestRunner}) or
 *       {@link CopyJobRunner}.</li>
 * </ul>
 * A coordinator that does not answer makes each loop back off (1 s doubling to 60 s) and carry on; nothing is
 * lost, since a job the gateway holds keeps running and reports its end once the coordinator answers again.
 *
 * <p>Before the loops start (and whenever its hypervisor connects) it deletes what restore tests it ran left behind
 * when it stopped: scratch files, and scratch VMs ({@link RestoreTestLeftovers}).
 *
 * <p>Every leased job is kept in a {@link JobJournal} until the coordinator took its outcome. A fourth loop works
 * through what the journal holds that no runner of this process does: outcomes not reported yet (the coordinator
 * was away longer than a lease) are reported again, and jobs a gateway restarted mid-job held are resumed (a
 * backup or copy: its lease renewed, then run again, and blocks the vault holds already are not uploaded again)
 * or failed with the reason (a restore, which may have created half a VM).
 *
 * <p>During the maintenance window (PutMaintenanceStartTime, {@link MaintenanceWindow}) no job is leased; once the
 * jobs held have ended the maintenance runs, once per window: staging leftovers and the VM snapshots dead backups
 * left are removed, and the vCenter session the coordinator's hypervisor gave is renewed.
 */
public final class GatewayAgent {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayAgent.class);
  /** Stands in for a thumbprint before the certificate is known; never used to trust anything. */
  private static final String ZERO_THUMBPRINT = "00".repeat(32);
  public static final String SOFTWARE_VERSION = "0.1.0";
  public static final String LAST_BACKUP = "vaultgate.lastBackup";
  public static final String LAST_BACKUP_STATE = "vaultgate.lastBackupState";
  public static final String LAST_RECOVERY_POINT = "vaultgate.lastRecoveryPoint";
  static final int CHANGE_WAIT_SECONDS = 10;
  /** How long the start waits for the scratch VMs of interrupted restore tests to be deleted. */
  static final int LEFTOVER_WAIT_SECONDS = 20;

  private final Vertx vertx;
  private final GatewayConfig config;
  private final CoordinatorClient coordinator;
  private final VaultAccess vaults;
  private final Map<String, VmInfo> vmsByArn = new ConcurrentHashMap<>();
  private final Map<String, String> runningJobs = new ConcurrentHashMap<>();
  private final AtomicInteger jobsDone = new AtomicInteger();
  private final AtomicInteger jobsStarted = new AtomicInteger();
  private final Map<String, Map<String, String>> tagsByArn = new ConcurrentHashMap<>();
  private volatile VsphereClient vsphere;
  private volatile VsphereTags tags;
  private volatile VmChangeFeed feed;
  private volatile long bandwidthBytesPerSecond;
  private volatile BandwidthSchedule coordinatorBandwidth = BandwidthSchedule.UNLIMITED;
  private final BandwidthLimiter bandwidth = new BandwidthLimiter(
      () -> bandwidthBytesPerSecond > 0 ? bandwidthBytesPerSecond : bandwidthSchedule().bytesPerSecondAt(now()));
  private final Options options;
  private final JobJournal journal;
  private final Map<String, JsonObject> leasedJobs = new ConcurrentHashMap<>();
  private final Map<String, JobObserver.Job> observedJobs = new ConcurrentHashMap<>();
  private volatile MaintenanceWindow maintenance;
  private volatile ZonedDateTime lastMaintenanceWindow;
  private final AtomicInteger maintenanceRuns = new AtomicInteger();
  private volatile String lastMaintenance;
  private final AtomicInteger jobsResumed = new AtomicInteger();
  private volatile boolean hypervisorAssociated;
  private volatile String vcenterError;
  private volatile Instant vcenterErrorAt;
  private final ThumbprintPins pins;
  private volatile String hypervisorArn;
  private volatile String hypervisorKey;
  private volatile String lastStatus;
  private volatile boolean closed;
  private volatile String accountId;
  private volatile String gatewayId;
  private volatile String gatewayArn;
  private volatile Duration heartbeatInterval = Duration.ofSeconds(30);
  private volatile Instant lastHeartbeat;
  private Future<Void> inventoryInFlight = Future.succeededFuture();
  private Future<Void> queuedSync;

  /** A gateway that joined already (the appliance's certificate): who it is, so it never registers again. */
  public record Joined(String gatewayId, String gatewayArn) {}

  /**
   * What the host of the agent (the appliance) adds: the clock (maintenance window, bandwidth schedule), the
   * bandwidth schedule that holds while the coordinator has none, and who watches the jobs.
   */
  public record Options(Clock clock, BandwidthSchedule defaultBandwidth, JobObserver jobs) {
    public static Options defaults() {
      return new Options(Clock.systemUTC(), BandwidthSchedule.UNLIMITED, JobObserver.NONE);
    }
  }

  private final Joined joined;
  private final LocalResources local;

  private GatewayAgent(Vertx vertx, GatewayConfig config) {
    this(vertx, config, new CoordinatorClient(vertx, config.coordinator(), config.region(), Duration.ofSeconds(30)), null, null,
        Options.defaults());
  }

  private GatewayAgent(Vertx vertx, GatewayConfig config, CoordinatorClient coordinator, Joined joined, LocalResources local,
      Options options) {
    this.vertx = vertx;
    this.options = options;
    this.journal = new JobJournal(vertx, config.stateDir());
    this.config = config;
    this.joined = joined;
    this.local = local;
    this.coordinator = coordinator;
    this.vaults = new VaultAccess(vertx, config.masterKeyFile(), config.s3Credentials(), java.util.function.UnaryOperator.identity(),
        config.kms()).cacheIndexSegmentsUnder(config.stateDir().resolve("cache"));
    this.pins = new ThumbprintPins(config.stateDir(), config.thumbprints());
  }

  /** Connects to vCenter, registers, reports the inventory once, and starts the loops on a context of its own. */
  public static Future<GatewayAgent> start(Vertx vertx, GatewayConfig config) {
    if (config.accessKeyId() == null || config.secretAccessKey() == null) {
      return Future.failedFuture(new IllegalArgumentException(
          "gateway config needs an account key (accessKeyId and secretAccessKey) to register"));
    }
    return start(new GatewayAgent(vertx, config));
  }

  /**
   * Starts a gateway that joined already: {@code client} identifies it (mutual TLS, {@link
   * CoordinatorClient#mutualTls}), so it does not register; a coordinator unreachable at start only delays the
   * first heartbeat. {@code local} (or null) adds the appliance's own resources to the inventory and runs
   * their backup jobs.
   */
  public static Future<GatewayAgent> start(Vertx vertx, GatewayConfig config, CoordinatorClient client, Joined joined,
      LocalResources local) {
    return start(vertx, config, client, joined, local, Options.defaults());
  }

  /** {@link #start(Vertx, GatewayConfig, CoordinatorClient, Joined, LocalResources)} with what the host adds. */
  public static Future<GatewayAgent> start(Vertx vertx, GatewayConfig config, CoordinatorClient client, Joined joined,
      LocalResources local, Options options) {
    return start(new GatewayAgent(vertx, config, client, joined, local, options));
  }

  private static Future<GatewayAgent> start(GatewayAgent agent) {
    Vertx vertx = agent.vertx;
    Context context = vertx.getOrCreateContext();
    Promise<GatewayAgent> started = Promise.promise(); // bridges onto the agent's context
    context.runOnContext(v -> agent.startOnContext().onComplete(started));
    return started.future();
  }

  private Future<GatewayAgent> startOnContext() {
    Future<Void> dirs = vertx.executeBlocking(() -> {
      Files.createDirectories(config.stagingDir());
      Files.createDirectories(config.stateDir());
      RestoreTestRunner.removeLeftovers(config.stagingDir());
      return null;
    }, false);
    Future<Void> configured = dirs.compose(d -> config.vcenter() == null ? Future.succeededFuture()
        : VsphereClient.connect(vertx, config.vcenter()).map(client -> {
          use(client, null);
          return null;
        }));
    return configured
        .compose(v -> register())
        // before the jobs loop, so a test's restore run again never meets its old VM; bounded, so a coordinator
        // or vCenter that hangs does not hold the start (the clean-up then goes on beside the loops)
        .compose(v -> removeRestoreTestVms().timeout(LEFTOVER_WAIT_SECONDS, TimeUnit.SECONDS).recover(e -> {
          LOG.warn("gateway {}: starting while scratch VMs of interrupted restore tests are still looked for", gatewayId);
          return Future.succeededFuture();
        }))
        .compose(v -> vsphere == null && local == null ? Future.succeededFuture()
            : joined == null ? syncInventory() : syncInventory().recover(e -> {
              LOG.warn("gateway {}: first inventory not reported (retried by the inventory loop): {}", gatewayId, e.getMessage());
              return Future.succeededFuture();
            }))
        .map(v -> {
          loop("heartbeat", this::heartbeat, () -> heartbeatInterval);
          loop("inventory", this::syncInventory, config::inventoryInterval);
          loop("jobs", this::pollJobs, config::pollInterval);
          loop("change feed", this::followChanges, () -> Duration.ZERO);
          loop("journaled jobs", this::catchUp, () -> Duration.ofSeconds(10));
          LOG.info("gateway {} ({}) started{}", gatewayId, config.gatewayName(),
              config.vcenter() == null ? "; its vCenter comes from the coordinator" : " against vCenter " + config.vcenter().hostPort());
          return this;
        });
  }

  /**
   * Deletes the scratch VMs of restore tests this gateway ran that a stop left in vCenter, and reports their
   * deletion ({@link RestoreTestLeftovers}); never fails: what could not be done is logged and tried at the next start.
   */
  private Future<Void> removeRestoreTestVms() {
    VsphereClient client = vsphere;
    if (client == null) {
      return Future.succeededFuture();
    }
    return RestoreTestLeftovers.cleanUp(client, coordinator, runningJobs::containsKey).transform(ar -> {
      if (ar.failed()) {
        LOG.warn("gateway {}: scratch VMs of interrupted restore tests not looked for: {}", gatewayId, ar.cause().getMessage());
      } else if (ar.result() > 0) {
        LOG.info("gateway {}: destroyed {} scratch VM(s) of restore tests interrupted by a stop", gatewayId, ar.result());
      }
      return Future.<Void>succeededFuture();
    });
  }

  /** Makes {@code client} the vCenter the gateway works with (closing the one before). */
  private void use(VsphereClient client, String hypervisor) {
    VsphereClient before = vsphere;
    VmChangeFeed oldFeed = feed;
    vsphere = client;
    tags = client == null ? null : client.tags(vertx);
    hypervisorArn = hypervisor;
    feed = null;
    vmsByArn.clear();
    if (oldFeed != null) {
      oldFeed.close();
    }
    if (before != null) {
      before.close();
    }
  }

  private Future<Void> register() {
    if (joined != null) {
      gatewayId = joined.gatewayId();
      gatewayArn = joined.gatewayArn();
      accountId = joined.gatewayArn().split(":")[4];
      heartbeatInterval = shorter(Duration.ofSeconds(30), config.heartbeatInterval());
      return Future.succeededFuture();
    }
    return coordinator.register(config.gatewayName(), SOFTWARE_VERSION, config.accessKeyId(), config.secretAccessKey())
        .map(reg -> {
          gatewayId = reg.gatewayId();
          gatewayArn = reg.gatewayArn();
          accountId = reg.gatewayArn().split(":")[4];
          heartbeatInterval = shorter(Duration.ofSeconds(Math.max(1, reg.heartbeatSeconds())), config.heartbeatInterval());
          return null;
        });
  }

  private static Duration shorter(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * Runs {@code step} again and again: after {@code interval} when it succeeded, after a doubling backoff when
   * the coordinator (or vCenter) did not answer.
   */
  private void loop(String name, Supplier<Future<?>> step, Supplier<Duration> interval) {
    Backoff backoff = new Backoff(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(60));
    Runnable[] again = new Runnable[1];
    again[0] = () -> {
      if (closed) {
        return;
      }
      Future<?> f;
      try {
        f = step.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        if (closed) {
          return;
        }
        Duration wait;
        if (ar.succeeded()) {
          backoff.succeeded();
          wait = ar.result() instanceof Boolean leased && leased ? Duration.ofMillis(1) : interval.get();
        } else {
          wait = backoff.failed();
          LOG.warn("gateway {}: {} failed ({} in a row), again in {} ms: {}", gatewayId, name, backoff.failures(), wait.toMillis(),
              ar.cause().getMessage());
        }
        vertx.setTimer(Math.max(1, wait.toMillis()), id -> again[0].run());
      });
    };
    vertx.setTimer(1, id -> again[0].run());
  }

  /**
   * Heartbeats, and does what the answer asks: the bandwidth limit of the moment, the hypervisor to work with,
   * configuration tests, metadata syncs.
   */
  private Future<Void> heartbeat() {
    return coordinator.post("/heartbeat", new JsonObject().put("softwareVersion", SOFTWARE_VERSION)).compose(answer -> {
      lastHeartbeat = Instant.now();
      heartbeatInterval = shorter(Duration.ofSeconds(Math.max(1, answer.getLong("heartbeatSeconds", 30L))), config.heartbeatInterval());
      coordinatorBandwidth = BandwidthSchedule.fromRateLimitIntervals(answer.getJsonArray("bandwidthRateLimitIntervals"));
      maintenance = MaintenanceWindow.fromHeartbeat(answer.getJsonObject("maintenanceStartTime")).orElse(null);
      JsonArray syncs = answer.getJsonArray("syncHypervisors", new JsonArray());
      return hypervisor(answer.getJsonArray("hypervisors", new JsonArray()))
          .compose(v -> testHypervisors(answer.getJsonArray("hypervisorTests", new JsonArray())))
          .compose(v -> vsphere != null && hypervisorArn != null && syncs.contains(hypervisorArn) ? syncInventory()
              : Future.succeededFuture());
    });
  }

  /**
   * Connects to the hypervisor the coordinator associated with this gateway (one per gateway, as in AWS), when it
   * is new or its settings changed, or when an earlier attempt failed; reports ONLINE or ERROR with the reason.
   * A vCenter given in the configuration wins over the coordinator's.
   */
  private Future<Void> hypervisor(JsonArray hypervisors) {
    if (config.vcenter() != null) {
      return Future.succeededFuture();
    }
    hypervisorAssociated = !hypervisors.isEmpty();
    if (hypervisors.isEmpty()) {
      if (hypervisorArn != null) {
        LOG.info("gateway {}: hypervisor {} is no longer associated; disconnecting", gatewayId, hypervisorArn);
        use(null, null);
        hypervisorKey = null;
      }
      return Future.succeededFuture();
    }
    JsonObject h = hypervisors.getJsonObject(0);
    String arn = h.getString("hypervisorArn");
    String key = arn + "\n" + h.getString("host") + "\n" + h.getString("username") + "\n" + AgentSecrets.fingerprint(h.getString("password"));
    if (key.equals(hypervisorKey) && vsphere != null) {
      return Future.succeededFuture();
    }
    return connect(h.getString("host"), h.getString("username"), h.getString("password"), true)
        .compose(client -> {
          use(client, arn);
          hypervisorKey = key;
          vcenterError = null;
          LOG.info("gateway {}: connected to hypervisor {} ({})", gatewayId, arn, client.endpoint().hostPort());
          removeRestoreTestVms();
          return reportStatus(arn, "ONLINE", null).compose(v -> syncInventory());
        }, e -> {
          hypervisorKey = null;
          vcenterFailed(e);
          LOG.warn("gateway {}: hypervisor {}: {}", gatewayId, arn, e.getMessage());
          return reportStatus(arn, "ERROR", e.getMessage());
        });
  }

  /**
   * Logs in to a vCenter given by host[:port]: with the pinned thumbprint of that host, or, the first time, with
   * the one it presents (pinned once the login succeeds, when {@code pin}). A certificate that differs from the
   * pinned one fails with "vCenter certificate changed".
   */
  private Future<VsphereClient> connect(String host, String user, String password, boolean pin) {
    VcenterEndpoint probe;
    try {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("the hypervisor has no host");
      }
      if (user == null || user.isBlank()) {
        throw new IllegalArgumentException("the hypervisor has no user name: set one with UpdateHypervisor");
      }
      URI sdk = URI.create(host.contains("://") ? host : "https://" + host + "/sdk");
      probe = new VcenterEndpoint(sdk, user, password == null ? "" : password, ZERO_THUMBPRINT, Duration.ofSeconds(30));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new IllegalArgumentException("cannot connect to vCenter " + host + ": " + e.getMessage(), e));
    }
    String hostPort = probe.hostPort();
    int port = probe.sdkUrl().getPort() < 0 ? 443 : probe.sdkUrl().getPort();
    boolean[] learned = new boolean[1];
    return vertx.executeBlocking(() -> {
          String pinned = pins.pinned(hostPort);
          if (pinned != null) {
            return pinned;
          }
          learned[0] = true;
          try {
            return Thumbprints.presentedBy(probe.sdkUrl().getHost(), port, probe.timeout());
          } catch (IOException e) {
            throw new VsphereException("cannot connect to vCenter " + hostPort + ": unreachable (" + e.getMessage() + ")", true, e);
          }
        }, false)
        .compose(thumbprint -> VsphereClient.connect(vertx,
                new VcenterEndpoint(probe.sdkUrl(), probe.user(), probe.password(), thumbprint, probe.timeout()))
            .compose(client -> !learned[0] || !pin ? Future.succeededFuture(client)
                : vertx.executeBlocking(() -> {
                  pins.pin(hostPort, thumbprint);
                  return client;
                }, false)))
        .recover(e -> Future.failedFuture(e instanceof VcenterCertificateException
            ? new VsphereException("vCenter certificate changed: " + e.getMessage(), false, e) : e));
  }

  /**
   * vCenter stopped answering (down, unreachable, or the session dropped): the hypervisor is reported ERROR and
   * the next heartbeat connects again, which reports it ONLINE once it answers.
   */
  private void lostVcenter(VsphereClient client, Throwable e) {
    String hypervisor = hypervisorArn;
    if (client == vsphere && e instanceof VsphereException) {
      vcenterFailed(e);
    }
    if (hypervisor == null || client != vsphere || closed || !(e instanceof VsphereException)) {
      return;
    }
    hypervisorKey = null;
    reportStatus(hypervisor, "ERROR", e.getMessage()).onFailure(x -> LOG.debug("status not reported: {}", x.getMessage()));
  }

  /** Runs the configuration tests the coordinator handed over, and answers each. */
  private Future<Void> testHypervisors(JsonArray tests) {
    List<Future<Void>> answered = new ArrayList<>();
    for (Object o : tests) {
      JsonObject t = (JsonObject) o;
      String testId = t.getString("testId");
      Future<JsonObject> result = connect(t.getString("host"), t.getString("username"), t.getString("password"), false)
          .compose(client -> client.listVms().eventually(client::close)
              .map(vms -> new JsonObject().put("ok", true).put("message", "logged in; " + vms.size() + " VMs visible")))
          .recover(e -> Future.succeededFuture(new JsonObject().put("ok", false).put("message", oneLine(e.getMessage()))));
      answered.add(result.compose(body -> coordinator.post("/hypervisor-tests/" + testId, body)).<Void>mapEmpty()
          .recover(e -> {
            LOG.warn("gateway {}: hypervisor test {} not answered: {}", gatewayId, testId, e.getMessage());
            return Future.succeededFuture();
          }));
    }
    return Future.join(answered).mapEmpty();
  }

  /** Reports the hypervisor's state when it differs from the last report. */
  private Future<Void> reportStatus(String arn, String state, String message) {
    String report = arn + "|" + state + "|" + message;
    if (report.equals(lastStatus)) {
      return Future.succeededFuture();
    }
    JsonObject body = new JsonObject().put("hypervisorArn", arn).put("state", state);
    if (message != null) {
      body.put("message", oneLine(message));
    }
    return coordinator.post("/hypervisors/status", body).map(answer -> {
      lastStatus = report;
      return null;
    });
  }

  private static String oneLine(String s) {
    String line = String.valueOf(s).replace('\n', ' ').replace('\r', ' ');
    return line.length() <= 1024 ? line : line.substring(0, 1021) + "...";
  }

  // --- inventory ---------------------------------------------------------------------------------

  /**
   * Reads every VM from vCenter, reports them all (the coordinator drops what is no longer reported), and starts
   * the backups their trigger attribute asks for. Syncs run one at a time; calls while one waits share it.
   */
  public Future<Void> syncInventory() {
    Promise<Void> sync = Promise.promise();
    Future<Void> before;
    synchronized (this) {
      if (queuedSync != null) {
        return queuedSync; // one not started yet will see this change too
      }
      queuedSync = sync.future();
      before = inventoryInFlight;
      inventoryInFlight = sync.future();
    }
    before.onComplete(ignored -> {
      synchronized (this) {
        if (queuedSync == sync.future()) {
          queuedSync = null;
        }
      }
      syncNow().onComplete(sync);
    });
    return sync.future();
  }

  private Future<Void> syncNow() {
    VsphereClient client = vsphere;
    if (client == null) {
      // no vCenter yet: only the appliance's own resources, if any
      return local == null ? Future.succeededFuture()
          : coordinator.post("/inventory", new JsonObject().put("resources", local.inventory(config.region(), accountId, gatewayId))
              .put("complete", true)).mapEmpty();
    }
    String hypervisor = hypervisorArn;
    String syncedAt = Instant.now().toString();
    Future<List<VmInfo>> listed = client.listVms().onFailure(e -> lostVcenter(client, e)).onSuccess(vms -> vcenterError = null);
    return listed.compose(vms -> vsphereTags(vms).compose(vmTags -> {
      JsonArray resources = new JsonArray();
      Map<String, VmInfo> seen = new ConcurrentHashMap<>();
      for (VmInfo vm : vms) {
        if (vm.instanceUuid() == null) {
          continue; // a template or a VM being created: nothing to back up yet
        }
        String arn = VmResources.arn(config.region(), accountId, vm);
        seen.put(arn, vm);
        List<VsphereTags.Tag> vmwareTags = vmTags.getOrDefault(vm.moref(), List.of());
        Map<String, String> t = VsphereTags.asMap(vmwareTags);
        tagsByArn.put(arn, t);
        JsonObject resource = VmResources.resource(config.region(), accountId, vm, t);
        if (hypervisor != null) {
          VmResources.addVmwareDetails(resource, hypervisor, vm, vmwareTags, syncedAt);
        }
        resources.add(resource);
      }
      if (local != null) {
        resources.addAll(local.inventory(config.region(), accountId, gatewayId));
      }
      vmsByArn.putAll(seen);
      vmsByArn.keySet().retainAll(seen.keySet());
      tagsByArn.keySet().retainAll(seen.keySet());
      return coordinator.post("/inventory", new JsonObject().put("resources", resources).put("complete", true))
          .compose(answer -> startTriggeredBackups(vms));
    }));
  }

  /** The VMs' vSphere tags; none (with a warning) when the REST API cannot be reached, so SOAP inventory still goes out. */
  private Future<Map<String, List<VsphereTags.Tag>>> vsphereTags(List<VmInfo> vms) {
    VsphereTags tags = this.tags;
    if (tags == null) {
      return Future.succeededFuture(Map.of());
    }
    tags.forgetNames();
    return tags.tagsOfVms(vms.stream().map(VmInfo::moref).toList()).recover(e -> {
      LOG.warn("gateway {}: vSphere tags not read, the inventory goes without them: {}", gatewayId, e.getMessage());
      return Future.succeededFuture(Map.of());
    });
  }

  /** The vSphere tags of a VM at the last inventory (category → name). */
  Map<String, String> vsphereTagsOf(String arn) {
    return tagsByArn.getOrDefault(arn, Map.of());
  }

  /**
   * Waits (up to 10 s, on the vsphere executor) for vCenter to report a VM created, deleted, renamed or with a
   * changed custom attribute, and then syncs the inventory: a VM tagged for backup is selected without waiting
   * for the periodic sync, and a trigger attribute starts its backup within seconds.
   */
  private Future<Void> followChanges() {
    VsphereClient client = vsphere;
    if (client == null) {
      return vertx.timer(1000).mapEmpty(); // no vCenter yet
    }
    Future<VmChangeFeed> open = feed != null ? Future.succeededFuture(feed)
        : VmChangeFeed.open(vertx, client.endpoint()).onSuccess(f -> {
          feed = f;
          f.next(0); // the first answer lists every VM: the inventory already has them
        });
    return open.compose(f -> f.next(CHANGE_WAIT_SECONDS))
        .compose(changed -> changed.isEmpty() || closed ? Future.<Void>succeededFuture() : syncInventory())
        .onFailure(e -> {
          VmChangeFeed broken = feed;
          feed = null;
          if (broken != null) {
            broken.close();
          }
          lostVcenter(client, e);
        });
  }

  /** VMs whose trigger attribute says {@code now}: reset it, then ask the coordinator for an on-demand job. */
  private Future<Void> startTriggeredBackups(List<VmInfo> vms) {
    List<Future<Void>> started = new ArrayList<>();
    for (VmInfo vm : vms) {
      String value = vm.customAttributes().get(config.triggerAttribute());
      if (value == null || !value.trim().toLowerCase(Locale.ROOT).equals("now") || vm.instanceUuid() == null) {
        continue;
      }
      String arn = VmResources.arn(config.region(), accountId, vm);
      started.add(vsphere.setCustomAttribute(vm, config.triggerAttribute(), "")
          .compose(v -> coordinator.post("/backup-jobs/start", new JsonObject().put("resourceArn", arn)))
          .compose(answer -> {
            LOG.info("VM {}: backup job {} started from vCenter ({}=now)", vm.describe(), answer.getString("backupJobId"),
                config.triggerAttribute());
            return writeOutcome(vm, "STARTED " + answer.getString("backupJobId"), null);
          })
          .recover(e -> {
            LOG.warn("VM {}: the backup {} asked for could not start: {}", vm.describe(), config.triggerAttribute(), e.getMessage());
            return writeOutcome(vm, "FAILED: " + e.getMessage(), null);
          }));
    }
    return Future.join(started).mapEmpty();
  }

  /** Writes a backup's outcome to the VM's custom attributes; a failure to write is only logged. */
  Future<Void> writeOutcome(VmInfo vm, String state, String recoveryPointArn) {
    VsphereClient vsphere = this.vsphere;
    if (vsphere == null) {
      return Future.succeededFuture();
    }
    Future<Void> f = vsphere.setCustomAttribute(vm, LAST_BACKUP, Instant.now().toString())
        .compose(v -> vsphere.setCustomAttribute(vm, LAST_BACKUP_STATE, state.length() > 512 ? state.substring(0, 512) : state));
    if (recoveryPointArn != null) {
      f = f.compose(v -> vsphere.setCustomAttribute(vm, LAST_RECOVERY_POINT, recoveryPointArn));
    }
    return f.recover(e -> {
      LOG.warn("VM {}: could not write the backup outcome to its custom attributes: {}", vm.describe(), e.getMessage());
      return Future.succeededFuture();
    });
  }

  /** The VM of a resource ARN: from the last inventory, else vCenter is read again. */
  Future<VmInfo> vmOf(String resourceArn) {
    VmInfo known = vmsByArn.get(resourceArn);
    if (known != null) {
      return vsphere.refresh(known).recover(e -> lookUp(resourceArn));
    }
    return lookUp(resourceArn);
  }

  private Future<VmInfo> lookUp(String resourceArn) {
    String uuid = VmResources.idOf(resourceArn);
    return vsphere.listVms().map(vms -> {
      for (VmInfo vm : vms) {
        if (uuid != null && uuid.equals(vm.instanceUuid())) {
          vmsByArn.put(resourceArn, vm);
          return vm;
        }
      }
      throw new VmNotFoundException("vCenter " + vsphere.endpoint().hostPort() + " has no VM "
          + resourceArn + " (instance UUID " + uuid + "): deleted, or not reached by this gateway");
    });
  }

  // --- jobs -----------------------------------------------------------------------------------------

  /** Leases one backup, restore or copy job when a slot is free; true when it started one (the loop asks again at once). */
  public Future<Boolean> pollJobs() {
    Optional<ZonedDateTime> window = maintenanceWindowNow();
    if (window.isPresent()) {
      // no new jobs in the window; the maintenance waits for the jobs held to end
      return runningJobs.isEmpty() && !window.get().equals(lastMaintenanceWindow)
          ? maintain(window.get()).map(false) : Future.succeededFuture(false);
    }
    if (runningJobs.size() >= config.maxJobs() || (vsphere == null && local == null)) {
      return Future.succeededFuture(false);
    }
    JsonObject lease = new JsonObject().put("leaseSeconds", config.leaseSeconds());
    return coordinator.post("/backup-jobs/lease", lease).compose(backup -> {
      if (backup.containsKey("job")) {
        startJob(backup.getJsonObject("job"));
        return Future.succeededFuture(true);
      }
      // VM restores go to vCenter: without one, only the local volumes' restores (restore tests) are leased
      Future<JsonObject> restores = vsphere != null ? coordinator.post("/restore-jobs/lease", lease)
          : local != null ? coordinator.post("/restore-jobs/lease", lease.copy().put("resourceTypes", new JsonArray().add("LocalVolume")))
          : Future.succeededFuture(new JsonObject());
      return restores.compose(restore -> {
        if (restore.containsKey("job")) {
          startJob(restore.getJsonObject("job"));
          return Future.succeededFuture(true);
        }
        return coordinator.post("/copy-jobs/lease", lease).map(copy -> {
          if (copy.containsKey("job")) {
            startJob(copy.getJsonObject("job"));
            return true;
          }
          return false;
        });
      });
    });
  }

  private void startJob(JsonObject job) {
    String jobId = job.getString("jobId");
    String kind = job.getString("kind", "BACKUP");
    runningJobs.put(jobId, kind);
    jobsStarted.incrementAndGet();
    LOG.info("gateway {}: {} job {} leased ({} running)", gatewayId, kind, jobId, runningJobs.size());
    journal.leased(job).recover(e -> {
      LOG.warn("gateway {}: job {} not journaled (a restart now would lose track of it): {}", gatewayId, jobId, e.getMessage());
      return Future.succeededFuture();
    }).onComplete(v -> runJob(job, jobId, kind));
  }

  private void runJob(JsonObject job, String jobId, String kind) {
    boolean ownBoard = "BACKUP".equals(kind) && local != null && local.runs(job.getString("resourceType", ""));
    leasedJobs.put(jobId, job);
    // a local resource's job shows on the host's board through the host's own code
    observedJobs.put(jobId, ownBoard ? JobObserver.Job.NONE : options.jobs().started(jobId, kind, describeResource(job)));
    Future<?> run = switch (kind) {
      case "RESTORE" -> job.containsKey("restoreTest") ? new RestoreTestRunner(this, job).run() : new RestoreJobRunner(this, job).run();
      case "COPY" -> new CopyJobRunner(this, job).run();
      case "BACKUP" -> local != null && local.runs(job.getString("resourceType", ""))
          ? new LocalBackupJobRunner(this, job, local).run() : new BackupJobRunner(this, job).run();
      default -> Future.failedFuture("unknown job kind " + kind);
    };
    run.onComplete(ar -> {
      runningJobs.remove(jobId);
      leasedJobs.remove(jobId);
      JobObserver.Job observed = observedJobs.remove(jobId);
      if (observed != null && ar.failed()) {
        observed.failed(oneLine(ar.cause().getMessage()));
      }
      jobsDone.incrementAndGet();
      if (ar.failed()) {
        LOG.warn("gateway {}: {} job {} ended without its outcome reported: {}", gatewayId, kind, jobId, ar.cause().getMessage());
      }
    });
  }

  private String describeResource(JsonObject job) {
    String arn = job.getString("resourceArn", job.getString("recoveryPointArn", ""));
    VmInfo vm = vmsByArn.get(arn);
    return vm != null ? vm.name() : arn.isEmpty() ? job.getString("jobId") : arn;
  }

  // --- the journal: resumed jobs and queued reports ----------------------------------------------------

  /**
   * Works through the journal's jobs that no runner of this process holds: reports a queued outcome, or
   * resumes a backup or copy (its lease is renewed first: a lease another gateway took, or a job that ended, drops
   * it), or fails a restore with the reason. Fails (so the loop backs off) while the coordinator does not answer.
   */
  Future<Void> catchUp() {
    return journal.entries().compose(entries -> {
      Future<Void> chain = Future.succeededFuture();
      for (JobJournal.Entry e : entries) {
        if (e.job() == null || e.jobId() == null || runningJobs.containsKey(e.jobId())) {
          continue;
        }
        chain = chain.compose(v -> catchUp(e));
      }
      return chain;
    });
  }

  private Future<Void> catchUp(JobJournal.Entry e) {
    String jobId = e.jobId();
    String path = "/" + e.kind().toLowerCase(Locale.ROOT) + "-jobs/" + jobId;
    Future<JsonObject> call;
    if (e.outcome() != null) {
      LOG.info("gateway {}: reporting the queued outcome of job {} ({})", gatewayId, jobId, e.outcome().getString("call"));
      call = coordinator.post(path + "/" + e.outcome().getString("call"), e.outcome().getJsonObject("body", new JsonObject()));
    } else if (e.kind().equals("RESTORE")) {
      call = coordinator.post(path + "/fail", new JsonObject().put("message", "restore job " + jobId + ": the gateway restarted"
          + " while it ran; a VM it may have begun is not complete: delete it, then start the restore again"));
    } else {
      return coordinator.post(path + "/progress", new JsonObject().put("leaseSeconds", config.leaseSeconds()))
          .compose(answer -> {
            if (answer.getBoolean("stop", false)) {
              return coordinator.post(path + "/fail", new JsonObject().put("message", "job " + jobId + " was stopped while the"
                  + " gateway restarted")).compose(x -> journal.forget(jobId));
            }
            if (isVmBackup(e.job()) && vsphere == null) {
              LOG.info("gateway {}: {} job {} it held before a restart waits for vCenter (its lease renewed)", gatewayId, e.kind(), jobId);
              return Future.<Void>succeededFuture();
            }
            LOG.info("gateway {}: resuming {} job {} it held before a restart", gatewayId, e.kind(), jobId);
            jobsResumed.incrementAndGet();
            return leftoverSnapshotsOf(e.job()).transform(x -> {
              startJob(e.job()); // its backup first adopts what the dead run stored unnamed, as every backup does
              return Future.<Void>succeededFuture();
            });
          }, err -> dropIfRefused(jobId, err));
    }
    return call.compose(answer -> journal.forget(jobId), err -> dropIfRefused(jobId, err));
  }

  private boolean isVmBackup(JsonObject job) {
    return "BACKUP".equals(job.getString("kind", "BACKUP"))
        && !(local != null && local.runs(job.getString("resourceType", "")));
  }

  /** Before a VM backup is resumed: the snapshot its first run took (and never removed) goes. */
  private Future<Void> leftoverSnapshotsOf(JsonObject job) {
    VsphereClient client = vsphere;
    if (!isVmBackup(job) || client == null) {
      return Future.succeededFuture();
    }
    return vmOf(job.getString("resourceArn"))
        .compose(vm -> client.removeSnapshotsNamed(vm, dev.vaultgate.agent.backup.VmBackup.SNAPSHOT_PREFIX))
        .<Void>map(names -> {
          if (!names.isEmpty()) {
            LOG.info("gateway {}: removed the snapshots {} the interrupted run of job {} left", gatewayId, names, job.getString("jobId"));
          }
          return null;
        })
        .recover(e -> {
          LOG.warn("gateway {}: leftover snapshots of job {} not removed (the maintenance window removes them): {}", gatewayId,
              job.getString("jobId"), e.getMessage());
          return Future.succeededFuture();
        });
  }

  /** The coordinator refused a journaled job's call (it is another gateway's now, or ended): nothing left to do. */
  private Future<Void> dropIfRefused(String jobId, Throwable err) {
    if (err instanceof CoordinatorException c && !c.isRetryable()) {
      LOG.info("gateway {}: journaled job {} dropped: {}", gatewayId, jobId, err.getMessage());
      return journal.forget(jobId);
    }
    return Future.failedFuture(err);
  }

  JobJournal journal() {
    return journal;
  }

  /** The job as leased, while it runs here (null otherwise). */
  JsonObject leasedJob(String jobId) {
    return leasedJobs.get(jobId);
  }

  JobObserver.Job observed(String jobId) {
    return observedJobs.getOrDefault(jobId, JobObserver.Job.NONE);
  }

  /** Jobs resumed from the journal since start. */
  public int jobsResumed() {
    return jobsResumed.get();
  }

  // --- maintenance ------------------------------------------------------------------------------------------

  private ZonedDateTime now() {
    return ZonedDateTime.now(options.clock()).withZoneSameInstant(ZoneOffset.UTC);
  }

  private Optional<ZonedDateTime> maintenanceWindowNow() {
    MaintenanceWindow w = maintenance;
    return w == null ? Optional.empty() : w.windowStartAt(now());
  }

  /** Whether the gateway is in its maintenance window now (it takes no new jobs). */
  public boolean inMaintenanceWindow() {
    return maintenanceWindowNow().isPresent();
  }

  /** The maintenance window the coordinator set (PutMaintenanceStartTime), or null. */
  public MaintenanceWindow maintenanceWindow() {
    return maintenance;
  }

  /** Maintenance runs since start. */
  public int maintenanceRuns() {
    return maintenanceRuns.get();
  }

  /** The maintenance of the window that began at {@code windowStart}; no job runs now and none starts. */
  private Future<Void> maintain(ZonedDateTime windowStart) {
    lastMaintenanceWindow = windowStart;
    MaintenanceWindow window = maintenance;
    LOG.info("gateway {}: maintenance window of {} ({}): maintenance starts", gatewayId, windowStart,
        window == null ? "just removed" : window.describe());
    Future<Integer> staging = vertx.executeBlocking(() -> {
      int removed = 0;
      if (Files.isDirectory(config.stagingDir())) {
        try (var leftovers = Files.list(config.stagingDir())) {
          for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) leftovers::iterator) {
            deleteTree(p);
            removed++; // a job's staging file or directory
          }
        }
      }
      return removed;
    }, false);
    return staging.compose(removed -> leftoverSnapshots().map(snapshots -> {
      if (config.vcenter() == null && vsphere != null) {
        hypervisorKey = null; // the next heartbeat logs in again: a fresh vCenter session after maintenance
      }
      maintenanceRuns.incrementAndGet();
      lastMaintenance = removed + " staging leftovers and " + snapshots + " leftover VM snapshots removed";
      LOG.info("gateway {}: maintenance done: {}{}", gatewayId, lastMaintenance,
          config.vcenter() == null && vsphere != null ? ", vCenter session renewed at the next heartbeat" : "");
      return null;
    }));
  }

  /**
   * Removes the snapshots a backup names {@code vaultgate-...} from every VM of the last inventory: no backup runs
   * now, so each is a leftover of a gateway that died mid-backup. A VM that cannot be cleaned is only logged.
   */
  private Future<Integer> leftoverSnapshots() {
    VsphereClient client = vsphere;
    if (client == null) {
      return Future.succeededFuture(0);
    }
    List<Future<Integer>> each = new ArrayList<>();
    for (VmInfo vm : vmsByArn.values()) {
      if (vm.snapshots().stream().anyMatch(n -> n.startsWith(dev.vaultgate.agent.backup.VmBackup.SNAPSHOT_PREFIX))) {
        each.add(client.removeSnapshotsNamed(vm, dev.vaultgate.agent.backup.VmBackup.SNAPSHOT_PREFIX).map(names -> {
          LOG.info("gateway {}: maintenance removed the leftover snapshots {} of VM {}", gatewayId, names, vm.describe());
          return names.size();
        }).recover(e -> {
          LOG.warn("gateway {}: maintenance could not remove the leftover snapshots of VM {}: {}", gatewayId, vm.describe(),
              e.getMessage());
          return Future.succeededFuture(0);
        }));
      }
    }
    return Future.join(each).map(all -> each.stream().mapToInt(f -> f.result() == null ? 0 : f.result()).sum());
  }

  /** What the last maintenance did, or null before any. */
  public String lastMaintenance() {
    return lastMaintenance;
  }

  private static int deleteTree(java.nio.file.Path p) throws IOException {
    int n = 0;
    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try (var children = Files.list(p)) {
        for (java.nio.file.Path c : (Iterable<java.nio.file.Path>) children::iterator) {
          n += deleteTree(c);
        }
      }
    }
    Files.deleteIfExists(p);
    return n + 1;
  }

  // --- bandwidth and vCenter health -------------------------------------------------------------------------

  /** The schedule in force: the coordinator's (PutBandwidthRateLimitSchedule) when it set one, else the host's. */
  public BandwidthSchedule bandwidthSchedule() {
    BandwidthSchedule fromCoordinator = coordinatorBandwidth;
    return fromCoordinator.isEmpty() ? options.defaultBandwidth() : fromCoordinator;
  }

  private void vcenterFailed(Throwable e) {
    vcenterError = oneLine(e.getMessage());
    vcenterErrorAt = Instant.now();
  }

  /** Whether the gateway has a vCenter to work with (from its configuration, or a hypervisor associated with it). */
  public boolean vcenterConfigured() {
    return config.vcenter() != null || hypervisorAssociated;
  }

  /** Asks vCenter for its VMs: fails with the reason when it is not reached (or not connected, with the last error). */
  public Future<Void> probeVcenter() {
    VsphereClient client = vsphere;
    if (client == null) {
      String error = vcenterError;
      return Future.failedFuture(error != null ? error : "not connected to vCenter yet");
    }
    return client.listVms().<Void>mapEmpty().onFailure(e -> lostVcenter(client, e));
  }

  /** The VMs of the last inventory: name, ARN, disks (name and capacity) and tags. */
  public List<JsonObject> protectedVms() {
    List<JsonObject> out = new ArrayList<>();
    vmsByArn.forEach((arn, vm) -> {
      JsonArray disks = new JsonArray();
      if (vm.hardware() != null) {
        vm.hardware().disks().forEach(d -> disks.add(new JsonObject().put("name", vm.hardware().diskName(d))
            .put("capacityBytes", d.capacityBytes())));
      }
      out.add(new JsonObject().put("name", vm.name()).put("resourceArn", arn).put("host", vm.host()).put("disks", disks)
          .put("tags", new JsonObject(new java.util.LinkedHashMap<>(tagsByArn.getOrDefault(arn, Map.of())))));
    });
    out.sort(java.util.Comparator.comparing(j -> j.getString("name")));
    return out;
  }

  /** The vault a job writes to or reads from: the job's {@code vaultLocation}, else the configured one. */
  String vaultLocation(JsonObject job, String field) {
    String location = job.getString(field);
    return location != null ? location : config.vaultLocation();
  }

  /**
   * Limits the bytes per second all jobs read together from vCenter's datastores, over the coordinator's
   * bandwidth schedule; 0: the schedule's limit again.
   */
  public void setBandwidthLimit(long bytesPerSecond) {
    bandwidthBytesPerSecond = Math.max(0, bytesPerSecond);
  }

  BandwidthLimiter bandwidth() {
    return bandwidth;
  }

  Vertx vertx() {
    return vertx;
  }

  GatewayConfig config() {
    return config;
  }

  CoordinatorClient coordinator() {
    return coordinator;
  }

  VaultAccess vaults() {
    return vaults;
  }

  VsphereClient vsphere() {
    return vsphere;
  }

  String accountId() {
    return accountId;
  }

  public String gatewayId() {
    return gatewayId;
  }

  /** The ARN this gateway reports a VM under. */
  public String vmArn(VmInfo vm) {
    return VmResources.arn(config.region(), accountId, vm);
  }

  public String gatewayArn() {
    return gatewayArn;
  }

  /** The hypervisor the gateway works with now, or null (none yet, or a vCenter from the configuration). */
  public String hypervisorArn() {
    return hypervisorArn;
  }

  /** Ids of the jobs running now. */
  public Set<String> runningJobs() {
    return Set.copyOf(runningJobs.keySet());
  }

  /** Jobs that ended (reported or not) since start. */
  public int jobsDone() {
    return jobsDone.get();
  }

  public Instant lastHeartbeat() {
    return lastHeartbeat;
  }

  /** Stops the loops (running jobs finish and report), then closes the vCenter session and the HTTP client. */
  public Future<Void> close() {
    closed = true;
    Future<Void> watching = feed == null ? Future.succeededFuture() : feed.close();
    Future<Void> vc = vsphere == null ? Future.succeededFuture() : vsphere.close().recover(e -> Future.succeededFuture());
    return Future.join(watching, vc).<Void>mapEmpty().eventually(coordinator::close);
  }
}
