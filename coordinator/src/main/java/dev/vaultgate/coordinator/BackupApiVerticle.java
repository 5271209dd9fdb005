package dev.vaultgate.coordinator;

import dev.vaultgate.coordinator.agent.AgentApi;
import dev.vaultgate.coordinator.audit.ActivityLog;
import dev.vaultgate.coordinator.audit.CloudTrailOperations;
import dev.vaultgate.coordinator.wire.AwsJsonFront;
import dev.vaultgate.coordinator.agent.PgGatewayStore;
import dev.vaultgate.coordinator.auth.AccessKeyStore;
import dev.vaultgate.coordinator.auth.SigV4Verifier;
import dev.vaultgate.coordinator.backup.BackupApiRoutes;
import dev.vaultgate.coordinator.compliance.AuditManagerOperations;
import dev.vaultgate.coordinator.compliance.PgAuditStore;
import dev.vaultgate.coordinator.compliance.ReportRunner;
import dev.vaultgate.coordinator.compliance.ReportTarget;
import dev.vaultgate.coordinator.restoretest.RestoreTestingOperations;
import dev.vaultgate.coordinator.wire.OperationHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.vaultgate.coordinator.backup.OnDemandBackups;
import dev.vaultgate.coordinator.backup.PgBackupJobStore;
import dev.vaultgate.coordinator.backup.PgCopyAndRestoreLeases;
import dev.vaultgate.coordinator.backup.PgJobLeaseStore;
import dev.vaultgate.coordinator.backup.PgRecoveryPointStore;
import dev.vaultgate.coordinator.backup.PgVaultStore;
import dev.vaultgate.coordinator.gateway.BackupGatewayRoutes;
import dev.vaultgate.coordinator.gateway.PgActivationStore;
import dev.vaultgate.coordinator.gateway.PgHypervisorStore;
import dev.vaultgate.coordinator.gateway.SecretSealer;
import dev.vaultgate.coordinator.kms.KmsRoutes;
import dev.vaultgate.coordinator.notify.NotifyConfig;
import dev.vaultgate.coordinator.notify.PgTopicStore;
import dev.vaultgate.coordinator.notify.SnsQueryFront;
import dev.vaultgate.coordinator.wire.AwsJsonFront;
import dev.vaultgate.coordinator.wire.RestJsonFront;
import dev.vaultgate.coordinator.wire.ServiceModel;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import java.time.Clock;

/**
 * One HTTP server (one event loop) serving, on one port, the agent API gateways call (under
 * {@code /agent/v1/}), the JSON-protocol services (backup-gateway and kms, by X-Amz-Target), the SNS topics
 * vault notifications go to (query protocol, form-encoded POST /) and the AWS Backup API (REST-JSON,
 * every other path), in that order; several share the port.
 */
final class BackupApiVerticle extends VerticleBase {

  private final CoordinatorConfig config;
  private final NotifyConfig notify;
  private final int port;
  private final ServiceModel model;
  private final ServiceModel cloudTrail = CloudTrailOperations.MODEL;
  private final Pool pool;
  private final AccessKeyStore keys;
  private final Clock clock;
  private final SecretSealer sealer;
  private final ActivityLog activity;
  private final ServiceModel gatewayModel;
  private final ReportTarget reports;
  private final dev.vaultgate.coordinator.pki.GatewayPki pki;
  private HttpServer server;

  BackupApiVerticle(CoordinatorConfig config, NotifyConfig notify, int port, ServiceModel model,
      ServiceModel gatewayModel, Pool pool, AccessKeyStore keys, Clock clock, SecretSealer sealer,
      ActivityLog activity, ReportTarget reports, dev.vaultgate.coordinator.pki.GatewayPki pki) {
    this.reports = reports;
    this.pki = pki;
    this.gatewayModel = gatewayModel;
    this.sealer = sealer;
    this.activity = activity;
    this.config = config;
    this.notify = notify;
    this.port = port;
    this.model = model;
    this.pool = pool;
    this.keys = keys;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    SecretSealer sealer = this.sealer;
    agentApi(vertx, config, pool, keys, clock, sealer, activity).withPki(pki).mount(router);
    // JSON fronts first: they take only requests whose X-Amz-Target names their service
    new AwsJsonFront(cloudTrail, new SigV4Verifier("cloudtrail", config.region()), keys,
        CloudTrailOperations.handlers(cloudTrail, pool), clock, config.bodyLimit(), activity)
        .mount(router);
    new AwsJsonFront(gatewayModel, new SigV4Verifier(gatewayModel.signingName(), config.region()), keys,
        BackupGatewayRoutes.handlers(vertx, gatewayModel, pool, sealer, config.region(), AgentApi.HEARTBEAT_SECONDS,
            config.hypervisorTestTimeout(), clock), clock, config.bodyLimit(), activity)
        .mount(router);
    new AwsJsonFront(KmsRoutes.MODEL, new SigV4Verifier(KmsRoutes.MODEL.signingName(), config.region()), keys,
        KmsRoutes.handlers(KmsRoutes.MODEL, pool, sealer, config.region()), clock, config.bodyLimit(), activity)
        .mount(router);
    // SNS (query protocol, form-encoded POST /) before the REST-JSON front, which takes every path
    new SnsQueryFront(new PgTopicStore(pool), keys, config.region(), notify, clock, config.bodyLimit(), activity)
        .mount(router);
    new RestJsonFront(model, new SigV4Verifier("backup", config.region()), keys,
        backupHandlers(), clock, config.bodyLimit(), activity)
        .mount(router);
    HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(port);
    if (config.tls() != null) {
      options.setSsl(true).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
          .setCertPath(config.tls().certificate().toString()).setKeyPath(config.tls().key().toString()));
    }
    server = vertx.createHttpServer(options);
    return server.requestHandler(router).listen();
  }

  /** The AWS Backup operations, Audit Manager's and restore testing's (which adds to DescribeRestoreJob). */
  private Map<String, OperationHandler> backupHandlers() {
    RestoreTestingOperations restoreTests = new RestoreTestingOperations(pool, config.region());
    Map<String, OperationHandler> more = new LinkedHashMap<>(new AuditManagerOperations(new PgAuditStore(pool),
        new ReportRunner(vertx, new PgAuditStore(pool), reports, config.region()), config.region()).handlers());
    more.putAll(restoreTests.handlers());
    Map<String, OperationHandler> h = BackupApiRoutes.handlers(model, pool, config.region(), more);
    h.put("DescribeRestoreJob", restoreTests.describeRestoreJob(h.get("DescribeRestoreJob")));
    h.put("ListRestoreJobs", restoreTests.listRestoreJobs(h.get("ListRestoreJobs"), h.get("DescribeRestoreJob")));
    return h;
  }

  /** The agent API on this coordinator's stores: what this verticle and the gateway listener mount. */
  static AgentApi agentApi(io.vertx.core.Vertx vertx, CoordinatorConfig config, Pool pool, AccessKeyStore keys,
      Clock clock, SecretSealer sealer, ActivityLog activity) {
    return new AgentApi(vertx, new PgGatewayStore(pool), new PgJobLeaseStore(pool), new PgRecoveryPointStore(pool),
        new PgBackupJobStore(pool), new PgVaultStore(pool), new PgCopyAndRestoreLeases(pool),
        new PgHypervisorStore(pool, sealer), new PgActivationStore(pool), new OnDemandBackups(pool, new PgBackupJobStore(pool), new PgVaultStore(pool)),
        keys, config.region(), config.vaultStorageRoot(), config.hypervisorTestTimeout(), clock, config.bodyLimit(),
        activity)
        .withRegionStorage(config.regionStorage())
        .withRestoreTests(new dev.vaultgate.coordinator.restoretest.PgRestoreTestResults(pool))
        .withActivationKeys(new dev.vaultgate.coordinator.gateway.PgActivationKeyStore(pool));
  }

  int actualPort() {
    return server.actualPort();
  }
}
