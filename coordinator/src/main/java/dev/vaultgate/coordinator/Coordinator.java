package dev.vaultgate.coordinator;

import dev.vaultgate.coordinator.agent.VaultStorageAccess;
import dev.vaultgate.coordinator.audit.ActivityLog;
import dev.vaultgate.coordinator.audit.AuditConfig;
import dev.vaultgate.coordinator.audit.AuditDigestVerticle;
import dev.vaultgate.coordinator.audit.AuditDigestWriter;
import dev.vaultgate.coordinator.audit.AuditSigningKey;
import dev.vaultgate.coordinator.audit.S3DigestStore;
import dev.vaultgate.coordinator.audit.PgActivityLogStore;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.auth.AccessKeyStore;
import dev.vaultgate.coordinator.auth.AdminCredentials;
import dev.vaultgate.coordinator.auth.PgAccessKeyStore;
import dev.vaultgate.coordinator.backup.PgCopyAndRestoreLeases;
import dev.vaultgate.coordinator.backup.PgJobLeaseStore;
import dev.vaultgate.coordinator.backup.PgRecoveryPointStore;
import dev.vaultgate.coordinator.backup.ScheduledBackups;
import dev.vaultgate.coordinator.db.EmbeddedDatabase;
import dev.vaultgate.coordinator.db.SchemaMigrator;
import dev.vaultgate.coordinator.gateway.PgHypervisorStore;
import dev.vaultgate.coordinator.gateway.SecretSealer;
import dev.vaultgate.coordinator.notify.DeliveryVerticle;
import dev.vaultgate.coordinator.notify.NotificationOutbox;
import dev.vaultgate.coordinator.notify.NotifyConfig;
import dev.vaultgate.coordinator.notify.PgNotificationOutbox;
import dev.vaultgate.coordinator.compliance.PgAuditStore;
import dev.vaultgate.coordinator.compliance.ReportRunner;
import dev.vaultgate.coordinator.compliance.ReportScheduleVerticle;
import dev.vaultgate.coordinator.compliance.ReportTarget;
import dev.vaultgate.coordinator.restoretest.RestoreTestScheduleVerticle;
import dev.vaultgate.coordinator.restoretest.RestoreTestScheduler;
import dev.vaultgate.coordinator.lifecycle.StorageLifecycle;
import dev.vaultgate.coordinator.vaultgc.PointStorageDeletion;
import dev.vaultgate.coordinator.vaultgc.VaultGarbageCollection;
import dev.vaultgate.coordinator.lockcheck.LockReconciler;
import dev.vaultgate.coordinator.pki.GatewayPki;
import dev.vaultgate.coordinator.scheduler.Scheduler;
import dev.vaultgate.coordinator.scheduler.SchedulerVerticle;
import dev.vaultgate.coordinator.wire.ServiceModel;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running coordinator: the database (embedded or given), the schema migrated, the admin key
 * in place, and the AWS Backup API listening. Nothing that matters lives only here: every
 * replica on the same database serves the same state.
 */
public final class Coordinator {

  private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);

  private final Vertx vertx;
  private final CoordinatorConfig config;
  private final EmbeddedDatabase embedded;
  private final Pool pool;
  private final AccessKeyStore keys;
  private final AccessKey adminKey;
  private final List<String> deployments;
  private final int port;
  private final SecretSealer sealer;
  private final ActivityLog activity;
  private final AuditDigestWriter digests;
  private final ReportTarget reports;
  private final GatewayPki pki;
  private final Clock clock;

  private Coordinator(Vertx vertx, CoordinatorConfig config, EmbeddedDatabase embedded, Pool pool,
      AccessKeyStore keys, AccessKey adminKey, List<String> deployments, int port, SecretSealer sealer,
      ActivityLog activity, AuditDigestWriter digests, ReportTarget reports, GatewayPki pki, Clock clock) {
    this.reports = reports;
    this.pki = pki;
    this.clock = clock;
    this.sealer = sealer;
    this.activity = activity;
    this.digests = digests;
    this.vertx = vertx;
    this.config = config;
    this.embedded = embedded;
    this.pool = pool;
    this.keys = keys;
    this.adminKey = adminKey;
    this.deployments = deployments;
    this.port = port;
  }

  /** What start reads from disk and the classpath, prepared off the event loop. */
  private record Prepared(EmbeddedDatabase embedded, PgConnectOptions connect, SchemaMigrator migrator, ServiceModel model,
      ServiceModel gatewayModel, SecretSealer sealer, NotifyConfig notifications, AuditSigningKey auditKey,
      ReportTarget reports, GatewayPki pki) {}

  public static Future<Coordinator> start(Vertx vertx, CoordinatorConfig config, Map<String, String> env, Clock clock) {
    return vertx.executeBlocking(() -> {
      NotifyConfig notify = NotifyConfig.fromEnvironment(env); // a bad value fails the start before anything runs
      ReportTarget reports = ReportTarget.fromEnvironment(env);
      EmbeddedDatabase embedded = null;
      PgConnectOptions connect;
      if (config.databaseUrl() == null) {
        embedded = EmbeddedDatabase.start(config.dataDir());
        connect = embedded.connectOptions();
      } else {
        connect = PgConnectOptions.fromUri(config.databaseUrl().replaceFirst("^postgres://", "postgresql://"));
      }
      dev.vaultgate.coordinator.audit.CloudTrailOperations.MODEL.serviceId(); // reads the model here, off the event loop
      SecretSealer sealer;
      AuditSigningKey auditKey;
      GatewayPki pki;
      try {
        sealer = SecretSealer.fromKeyFile(config.masterKeyFile());
        pki = GatewayPki.loadOrCreate(config.dataDir().resolve("pki"), GatewayPki.defaultServerNames(config.host()), clock);
        auditKey = config.audit().digestLocation() == null ? null : AuditSigningKey.loadOrCreate(config.dataDir());
      } catch (RuntimeException e) {
        if (embedded != null) embedded.close();
        throw e;
      }
      dev.vaultgate.coordinator.kms.KmsRoutes.MODEL.serviceId(); // loads the KMS model here, off the event loop
      return new Prepared(embedded, connect, SchemaMigrator.fromClasspath(), ServiceModel.backup(),
          ServiceModel.backupGateway(), sealer, notify, auditKey, reports, pki);
    }).compose(prepared -> {
      Pool pool = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(16).setShared(false))
          .connectingTo(prepared.connect().setCachePreparedStatements(true).setPipeliningLimit(16))
          .using(vertx)
          .build();
      AccessKeyStore keys = new PgAccessKeyStore(pool);
      ActivityLog activity = new ActivityLog(new PgActivityLogStore(pool), config.region(), clock);
      AuditDigestWriter digests = prepared.auditKey() == null ? null
          : new AuditDigestWriter(pool, digestStore(config.audit(), env), prepared.auditKey(), clock);
      return prepared.migrator().migrate(pool)
          .onSuccess(applied -> { if (!applied.isEmpty()) LOG.info("applied schema migrations {}", applied); })
          .compose(applied -> adminKey(vertx, config, env, keys))
          .compose(admin -> deploy(vertx, config, prepared, pool, keys, clock, activity)
              .compose(d -> digests == null || config.audit().digestInterval().isZero() ? Future.succeededFuture(d)
                  : vertx.deployVerticle(new AuditDigestVerticle(digests, config.audit().digestInterval()))
                      .map(id -> {
                        d.ids().add(id);
                        return d;
                      }))
              .map(d -> new Coordinator(vertx, config, prepared.embedded(), pool, keys, admin, d.ids(), d.port(),
                  prepared.sealer(), activity, digests, prepared.reports(), prepared.pki(), clock).checkingLocks(env, clock)))
          .recover(e -> {
            pool.close();
            if (prepared.embedded() != null) {
              return vertx.executeBlocking(() -> { prepared.embedded().close(); return null; })
                  .transform(x -> Future.failedFuture(e));
            }
            return Future.failedFuture(e);
          });
    });
  }

  private record Deployed(List<String> ids, int port) {}

  /**
   * Deploys {@code instances} verticles sharing one port (Vert.x shares servers of the same host
   * and port). Port 0 with several instances first picks a free port, since servers on port 0
   * would each get their own.
   */
  private static Future<Deployed> deploy(Vertx vertx, CoordinatorConfig config, Prepared prepared, Pool pool,
      AccessKeyStore keys, Clock clock, ActivityLog activity) {
    Future<Integer> port = config.port() != 0 || config.instances() == 1
        ? Future.succeededFuture(config.port())
        : vertx.executeBlocking(() -> {
          try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(config.host()))) {
            return probe.getLocalPort();
          }
        });
    return port.compose(p -> deployOn(vertx, config, prepared, p, pool, keys, clock, activity));
  }

  private static Future<Deployed> deployOn(Vertx vertx, CoordinatorConfig config, Prepared prepared, int listenPort,
      Pool pool, AccessKeyStore keys, Clock clock, ActivityLog activity) {
    NotifyConfig notify = prepared.notifications();
    List<BackupApiVerticle> verticles = new ArrayList<>();
    for (int i = 0; i < config.instances(); i++) {
      verticles.add(new BackupApiVerticle(config, notify, listenPort, prepared.model(), prepared.gatewayModel(), pool,
          keys, clock, prepared.sealer(), activity, prepared.reports(), prepared.pki()));
    }
    // the activity log's writer first and (undeployed in reverse) last, so it sees every call
    Future<List<String>> chain = vertx.deployVerticle(activity).map(id -> new ArrayList<>(List.of(id)));
    for (BackupApiVerticle v : verticles) {
      chain = chain.compose(ids -> vertx.deployVerticle(v).map(id -> {
        ids.add(id);
        return ids;
      }));
    }
    if (!config.schedulerInterval().isZero()) {
      SchedulerVerticle scheduler = new SchedulerVerticle(scheduler(pool, activity, config.region()), clock,
          config.schedulerInterval());
      chain = chain.compose(ids -> vertx.deployVerticle(scheduler).map(id -> {
        ids.add(id);
        return ids;
      }));
    }
    if (!config.schedulerInterval().isZero()) {
      ReportScheduleVerticle reportSchedule = new ReportScheduleVerticle(
          new ReportRunner(vertx, new PgAuditStore(pool), prepared.reports(), config.region()), clock,
          config.schedulerInterval(), activity, config.region());
      chain = chain.compose(ids -> vertx.deployVerticle(reportSchedule).map(id -> {
        ids.add(id);
        return ids;
      }));
    }
    if (!config.schedulerInterval().isZero()) {
      RestoreTestScheduleVerticle restoreTests = new RestoreTestScheduleVerticle(
          new RestoreTestScheduler(pool, new java.security.SecureRandom()), clock, config.schedulerInterval(), activity,
          config.region());
      chain = chain.compose(ids -> vertx.deployVerticle(restoreTests).map(id -> {
        ids.add(id);
        return ids;
      }));
    }
    if (!notify.pollInterval().isZero()) {
      DeliveryVerticle delivery = new DeliveryVerticle(new PgNotificationOutbox(pool), notify, clock);
      chain = chain.compose(ids -> vertx.deployVerticle(delivery).map(id -> {
        ids.add(id);
        return ids;
      }));
    }
    return chain.map(ids -> {
      int port = verticles.get(0).actualPort();
      for (BackupApiVerticle v : verticles) {
        if (v.actualPort() != port) {
          throw new IllegalStateException("API verticles listen on ports " + port + " and " + v.actualPort());
        }
      }
      return new Deployed(ids, port);
    });
  }

  /**
   * The digest bucket's client. Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the
   * environment the coordinator was given, else the SDK's default chain (profile, instance role).
   */
  private static S3DigestStore digestStore(AuditConfig audit, Map<String, String> env) {
    AuditConfig.S3Location location = AuditConfig.S3Location.parse(audit.digestLocation());
    software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials =
        env.containsKey("AWS_ACCESS_KEY_ID") && env.containsKey("AWS_SECRET_ACCESS_KEY")
            ? software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(env.get("AWS_ACCESS_KEY_ID"),
                    env.get("AWS_SECRET_ACCESS_KEY")))
            : software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider.builder().build();
    return new S3DigestStore(S3DigestStore.newClient(location, credentials), location, audit.digestRetention());
  }

  /** Writes an activity-log digest now (on demand); empty when nothing was logged since the last one. */
  public Future<java.util.Optional<AuditDigestWriter.Written>> writeAuditDigest() {
    if (digests == null) {
      return Future.failedFuture(new IllegalStateException("no audit digest location is configured"));
    }
    return digests.write(vertx.getOrCreateContext());
  }

  /** The digest writer, when an audit digest location is configured. */
  public Optional<AuditDigestWriter> auditDigests() {
    return Optional.ofNullable(digests);
  }

  /** The admin key: from the environment, else from the credentials file, else a new one written there. */
  private static Future<AccessKey> adminKey(Vertx vertx, CoordinatorConfig config, Map<String, String> env, AccessKeyStore keys) {
    Optional<AccessKey> fromEnv = AdminCredentials.fromEnvironment(env, config.accountId());
    if (fromEnv.isPresent()) return keys.save(fromEnv.get());
    return vertx.executeBlocking(() -> AdminCredentials.read(config.adminCredentialsFile(), config.accountId()))
        .compose(fromFile -> {
          if (fromFile.isPresent()) return keys.save(fromFile.get());
          AccessKey fresh = AccessKey.generate(config.accountId());
          return keys.save(fresh).compose(saved -> vertx.executeBlocking(() -> {
            try {
              AdminCredentials.write(config.adminCredentialsFile(), saved, config.region());
            } catch (IOException e) {
              throw new UncheckedIOException("cannot write " + config.adminCredentialsFile(), e);
            }
            return saved;
          }));
        });
  }

  public int port() {
    return port;
  }

  /**
   * Starts the gateway listener (mutual TLS, the agent API by client certificate) on {@code port} (0: any
   * free one); its port. Gateways that join after this are told where it is.
   */
  public Future<Integer> startGatewayListener(int port) {
    GatewayListenerVerticle listener = new GatewayListenerVerticle(config.host(), port, pki,
        new dev.vaultgate.coordinator.agent.PgGatewayStore(pool),
        () -> BackupApiVerticle.agentApi(vertx, config, pool, keys, clock, sealer, activity));
    return vertx.deployVerticle(listener).map(id -> {
      deployments.add(id);
      return listener.actualPort();
    });
  }

  /** The gateway CA and the gateway listener's certificates (under {@code <dataDir>/pki}). */
  public GatewayPki gatewayPki() {
    return pki;
  }

  public CoordinatorConfig config() {
    return config;
  }

  public AccessKey adminKey() {
    return adminKey;
  }

  /** Issues keys for other accounts (tests, and the admin tooling to come). */
  public AccessKeyStore accessKeys() {
    return keys;
  }

  public Pool pool() {
    return pool;
  }

  /** Hypervisors and their tests on this coordinator's database, sealed with its master key. */
  public PgHypervisorStore hypervisors() {
    return new PgHypervisorStore(pool, sealer);
  }

  /** A scheduler over this coordinator's database, for tests to tick with the times they choose. */
  public Scheduler scheduler() {
    return scheduler(pool, activity, config.region());
  }

  private static Scheduler scheduler(Pool pool, ActivityLog activity, String region) {
    return new Scheduler(new PgJobLeaseStore(pool), new ScheduledBackups(pool), new PgRecoveryPointStore(pool),
        new PgCopyAndRestoreLeases(pool), activity, region);
  }

  /** Report plans' runner (daily runs and report jobs), for tests to run with the times they choose. */
  public ReportRunner reports() {
    return new ReportRunner(vertx, new PgAuditStore(pool), reports, config.region());
  }

  /** Restore testing's scheduler, for tests to tick with the times (and the randomness) they choose. */
  public RestoreTestScheduler restoreTests(java.util.Random random) {
    return new RestoreTestScheduler(pool, random);
  }

  /** The activity log: what fronts, the agent API and the scheduler record into. */
  public ActivityLog activityLog() {
    return activity;
  }

  /** The notifications waiting for delivery, and the dead ones (the operator's list). */
  public NotificationOutbox notificationOutbox() {
    return new PgNotificationOutbox(pool);
  }

  /** The embedded server's URL for other replicas (and tests) to share, when this one started it. */
  public Optional<String> embeddedDatabaseUrl() {
    return embedded == null ? Optional.empty()
        : Optional.of("postgresql://postgres:postgres@localhost:" + embedded.port() + "/postgres");
  }

  /** How often a coordinator with a scheduler checks locked vaults' storage against the database. */
  public static final java.time.Duration LOCK_CHECK_INTERVAL = java.time.Duration.ofHours(1);
  private LockReconciler lockReconciler;
  private long lockCheckTimer = -1;

  /**
   * The lock reconciliation ({@link LockReconciler}), reading vault storage with AWS_ACCESS_KEY_ID and
   * AWS_SECRET_ACCESS_KEY from the coordinator's environment (else the SDK's default chain); it runs every
   * {@link #LOCK_CHECK_INTERVAL} when the scheduler runs (each replica checks; a finding may be recorded twice).
   */
  private Coordinator checkingLocks(Map<String, String> env, Clock clock) {
    software.amazon.awssdk.auth.credentials.AwsCredentialsProvider credentials =
        env.containsKey("AWS_ACCESS_KEY_ID") && env.containsKey("AWS_SECRET_ACCESS_KEY")
            ? software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(env.get("AWS_ACCESS_KEY_ID"),
                    env.get("AWS_SECRET_ACCESS_KEY")))
            : null;
    java.util.function.Function<String, dev.vaultgate.vault.storage.VaultStorage> open = url -> {
      dev.vaultgate.vault.storage.VaultLocation location = dev.vaultgate.vault.storage.VaultLocation.parse(url);
      if (credentials != null && location instanceof dev.vaultgate.vault.storage.VaultLocation.S3Location s3) {
        return new dev.vaultgate.vault.storage.RetryingVaultStorage(vertx, new dev.vaultgate.vault.storage.S3VaultStorage(
            vertx, dev.vaultgate.vault.storage.S3VaultStorage.newClient(s3.endpoint().orElse(null),
                software.amazon.awssdk.regions.Region.of(s3.region().orElse("us-east-1")), credentials),
            s3.bucket(), s3.prefix()));
      }
      return dev.vaultgate.vault.storage.VaultStorages.open(vertx, location);
    };
    VaultStorageAccess vaults = new VaultStorageAccess(config.region(), config.vaultStorageRoot(), config.regionStorage(), open);
    lockReconciler = new LockReconciler(pool, vaults);
    storageLifecycle = new StorageLifecycle(pool, vaults, activity);
    // A point Object Lock still protects is tried again after the gc interval, as a busy vault's gc is.
    pointStorageDeletion = new PointStorageDeletion(pool, vaults, activity, config.vaultGc().interval());
    vaultGarbageCollection = new VaultGarbageCollection(vertx, pool, vaults, activity, config.vaultGc());
    if (!config.schedulerInterval().isZero()) {
      if (config.vaultGc().collects()) {
        LOG.info("vault gc: vaults whose points were deleted are garbage-collected with the vault master key {}, at most"
            + " every {}", config.vaultGc().vaultMasterKeyFile(), config.vaultGc().interval());
      } else {
        LOG.info("vault gc: off (no --vault-master-key): deleted points' manifests leave storage, their packs stay until"
            + " a 'vaultgate vault gc'");
      }
    }
    if (!config.schedulerInterval().isZero()) {
      lockCheckTimer = vertx.setPeriodic(LOCK_CHECK_INTERVAL.toMillis(), id -> lockReconciler.run(clock.instant())
          .onFailure(e -> LOG.warn("lock check failed: {}", e.getMessage())));
      storageLifecycleTimer = vertx.setTimer(config.schedulerInterval().toMillis(), id -> storageLifecyclePass(clock));
    }
    return this;
  }

  private StorageLifecycle storageLifecycle;
  private volatile long storageLifecycleTimer = -1;

  private PointStorageDeletion pointStorageDeletion;
  private VaultGarbageCollection vaultGarbageCollection;

  /**
   * One storage lifecycle pass (retentions, cold moves, deleted points' objects, vault gc), then the next after the
   * scheduler's interval (passes never overlap).
   */
  private void storageLifecyclePass(Clock clock) {
    storageLifecycle.run(clock.instant())
        .onFailure(e -> LOG.warn("storage lifecycle pass failed: {}", e.getMessage()))
        .transform(ar -> pointStorageDeletion.run(clock.instant()))
        .onFailure(e -> LOG.warn("storage deletion pass failed: {}", e.getMessage()))
        .transform(ar -> vaultGarbageCollection.run(clock.instant()))
        .onFailure(e -> LOG.warn("vault gc pass failed: {}", e.getMessage()))
        .onComplete(ar -> {
          if (storageLifecycleTimer >= 0) {
            storageLifecycleTimer = vertx.setTimer(config.schedulerInterval().toMillis(), id -> storageLifecyclePass(clock));
          }
        });
  }

  /** Recovery point lifecycles in vault storage (retention extensions, cold moves), for tests and operators to run now. */
  public StorageLifecycle storageLifecycle() {
    return storageLifecycle;
  }

  /** The storage deletion of deleted recovery points, for tests and operators to run now. */
  public PointStorageDeletion pointStorageDeletion() {
    return pointStorageDeletion;
  }

  /** Vault gc with the vault master key, for tests and operators to run now. */
  public VaultGarbageCollection vaultGarbageCollection() {
    return vaultGarbageCollection;
  }

  /** The lock reconciliation, for tests and operators to run now. */
  public LockReconciler lockReconciler() {
    return lockReconciler;
  }

  /** Stops serving, closes the pool and stops the embedded database. */
  public Future<Void> close() {
    if (lockCheckTimer >= 0) vertx.cancelTimer(lockCheckTimer);
    long lifecycleTimer = storageLifecycleTimer;
    storageLifecycleTimer = -1;
    if (lifecycleTimer >= 0) vertx.cancelTimer(lifecycleTimer);
    List<Future<Void>> undeploys = new ArrayList<>();
    // the writer (first deployed) goes last: it flushes what the others recorded while stopping
    for (String id : deployments.subList(1, deployments.size())) undeploys.add(vertx.undeploy(id));
    return Future.join(undeploys)
        .eventually(() -> vertx.undeploy(deployments.get(0)))
        .eventually(() -> pool.close())
        .eventually(() -> {
          if (digests != null) digests.store().close();
          reports.close();
          return Future.succeededFuture();
        })
        .eventually(() -> embedded == null ? Future.succeededFuture()
            : vertx.executeBlocking(() -> { embedded.close(); return null; }))
        .mapEmpty();
  }
}
