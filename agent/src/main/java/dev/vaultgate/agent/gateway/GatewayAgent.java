package dev.vaultgate.agent.gateway;

import dev.vaultgate.agent.vsphere.VmInfo;
import dev.vaultgate.agent.disk.BandwidthLimiter;
import dev.vaultgate.agent.vsphere.VmChangeFeed;
import dev.vaultgate.agent.vsphere.VsphereClient;
import dev.vaultgate.agent.vsphere.VsphereTags;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 *   <li>jobs: leases backup and restore jobs while fewer than {@code maxJobs} run, each through a
 *       {@link BackupJobRunner} or {@link RestoreJobRunner}.</li>
 * </ul>
 * A coordinator that does not answer makes each loop back off (1 s doubling to 60 s) and carry on; nothing is
 * lost, since a job the gateway holds keeps running and reports its end once the coordinator answers again.
 */
public final class GatewayAgent {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayAgent.class);
  public static final String SOFTWARE_VERSION = "0.1.0";
  public static final String LAST_BACKUP = "vaultgate.lastBackup";
  public static final String LAST_BACKUP_STATE = "vaultgate.lastBackupState";
  public static final String LAST_RECOVERY_POINT = "vaultgate.lastRecoveryPoint";
  static final int CHANGE_WAIT_SECONDS = 10;

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
  private final BandwidthLimiter bandwidth = new BandwidthLimiter(() -> bandwidthBytesPerSecond);
  private volatile boolean closed;
  private volatile String accountId;
  private volatile String gatewayId;
  private volatile Duration heartbeatInterval = Duration.ofSeconds(30);
  private volatile Instant lastHeartbeat;
  private Future<Void> inventoryInFlight = Future.succeededFuture();
  private Future<Void> queuedSync;

  private GatewayAgent(Vertx vertx, GatewayConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.coordinator = new CoordinatorClient(vertx, config.coordinator(), config.region(), Duration.ofSeconds(30));
    this.vaults = new VaultAccess(vertx, config.masterKeyFile());
  }

  /** Connects to vCenter, registers, reports the inventory once, and starts the loops on a context of its own. */
  public static Future<GatewayAgent> start(Vertx vertx, GatewayConfig config) {
    GatewayAgent agent = new GatewayAgent(vertx, config);
    Context context = vertx.getOrCreateContext();
    io.vertx.core.Promise<GatewayAgent> started = io.vertx.core.Promise.promise(); // bridges onto the agent's context
    context.runOnContext(v -> agent.startOnContext().onComplete(started));
    return started.future();
  }

  private Future<GatewayAgent> startOnContext() {
    return VsphereClient.connect(vertx, config.vcenter())
        .compose(client -> {
          vsphere = client;
          tags = client.tags(vertx);
          return register();
        })
        .compose(v -> syncInventory())
        .map(v -> {
          loop("heartbeat", this::heartbeat, () -> heartbeatInterval);
          loop("inventory", this::syncInventory, config::inventoryInterval);
          loop("jobs", this::pollJobs, config::pollInterval);
          loop("change feed", this::followChanges, () -> Duration.ZERO);
          LOG.info("gateway {} ({}) started against vCenter {}", gatewayId, config.gatewayName(), config.vcenter().hostPort());
          return this;
        });
  }

  private Future<Void> register() {
    return coordinator.register(config.gatewayName(), SOFTWARE_VERSION, config.accessKeyId(), config.secretAccessKey())
        .map(reg -> {
          gatewayId = reg.gatewayId();
          accountId = reg.gatewayArn().split(":")[4];
          heartbeatInterval = Duration.ofSeconds(Math.max(1, reg.heartbeatSeconds()));
          return null;
        });
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

  private Future<Void> heartbeat() {
    return coordinator.post("/heartbeat", new JsonObject().put("softwareVersion", SOFTWARE_VERSION)).map(answer -> {
      lastHeartbeat = Instant.now();
      long seconds = answer.getLong("heartbeatSeconds", 30L);
      heartbeatInterval = Duration.ofSeconds(Math.max(1, seconds));
      return null;
    });
  }

  // --- inventory ---------------------------------------------------------------------------------

  /**
   * Reads every VM from vCenter, reports them all (the coordinator drops what is no longer reported), and starts
   * the backups their trigger attribute asks for. Syncs run one at a time; calls while one waits share it.
   */
  public Future<Void> syncInventory() {
    io.vertx.core.Promise<Void> sync = io.vertx.core.Promise.promise();
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
    return vsphere.listVms().compose(vms -> vsphereTags(vms).compose(vmTags -> {
      JsonArray resources = new JsonArray();
      Map<String, VmInfo> seen = new ConcurrentHashMap<>();
      for (VmInfo vm : vms) {
        if (vm.instanceUuid() == null) {
          continue; // a template or a VM being created: nothing to back up yet
        }
        String arn = VmResources.arn(config.region(), accountId, vm);
        seen.put(arn, vm);
        Map<String, String> t = VsphereTags.asMap(vmTags.getOrDefault(vm.moref(), List.of()));
        tagsByArn.put(arn, t);
        resources.add(VmResources.resource(config.region(), accountId, vm, t));
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
    Future<VmChangeFeed> open = feed != null ? Future.succeededFuture(feed)
        : VmChangeFeed.open(vertx, config.vcenter()).onSuccess(f -> {
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
      throw new dev.vaultgate.agent.vsphere.VmNotFoundException("vCenter " + config.vcenter().hostPort() + " has no VM "
          + resourceArn + " (instance UUID " + uuid + "): deleted, or not reached by this gateway");
    });
  }

  // --- jobs -----------------------------------------------------------------------------------------

  /** Leases one backup or restore job when a slot is free; true when it started one (the loop asks again at once). */
  public Future<Boolean> pollJobs() {
    if (runningJobs.size() >= config.maxJobs()) {
      return Future.succeededFuture(false);
    }
    JsonObject lease = new JsonObject().put("leaseSeconds", config.leaseSeconds());
    return coordinator.post("/backup-jobs/lease", lease).compose(backup -> {
      if (backup.containsKey("job")) {
        startJob(backup.getJsonObject("job"));
        return Future.succeededFuture(true);
      }
      return coordinator.post("/restore-jobs/lease", lease).map(restore -> {
        if (restore.containsKey("job")) {
          startJob(restore.getJsonObject("job"));
          return true;
        }
        return false;
      });
    });
  }

  private void startJob(JsonObject job) {
    String jobId = job.getString("jobId");
    String kind = job.getString("kind", "BACKUP");
    runningJobs.put(jobId, kind);
    jobsStarted.incrementAndGet();
    LOG.info("gateway {}: {} job {} leased ({} running)", gatewayId, kind, jobId, runningJobs.size());
    Future<?> run = switch (kind) {
      case "RESTORE" -> new RestoreJobRunner(this, job).run();
      case "BACKUP" -> new BackupJobRunner(this, job).run();
      default -> Future.failedFuture("unknown job kind " + kind);
    };
    run.onComplete(ar -> {
      runningJobs.remove(jobId);
      jobsDone.incrementAndGet();
      if (ar.failed()) {
        LOG.warn("gateway {}: {} job {} ended without its outcome reported: {}", gatewayId, kind, jobId, ar.cause().getMessage());
      }
    });
  }

  /** The vault a job writes to or reads from: the job's {@code vaultLocation}, else the configured one. */
  String vaultLocation(JsonObject job, String field) {
    String location = job.getString(field);
    return location != null ? location : config.vaultLocation();
  }

  /** Limits the bytes per second all jobs read together from vCenter's datastores; 0: no limit. */
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
