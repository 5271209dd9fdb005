package dev.vaultgate.coordinator.agent;

import dev.vaultgate.coordinator.audit.ActivityEvents;
import dev.vaultgate.coordinator.audit.ActivityRecorder;
import dev.vaultgate.coordinator.auth.AccessKeyStore;
import dev.vaultgate.coordinator.auth.SigV4Verifier;
import dev.vaultgate.coordinator.auth.SigV4Verifier.SignedRequest;
import dev.vaultgate.coordinator.backup.BackupJob;
import dev.vaultgate.coordinator.backup.BackupJobStore;
import dev.vaultgate.coordinator.backup.CopyJob;
import dev.vaultgate.coordinator.backup.JobLeaseStore;
import dev.vaultgate.coordinator.backup.LeaseException;
import dev.vaultgate.coordinator.backup.OnDemandBackups;
import dev.vaultgate.coordinator.backup.PgCopyAndRestoreLeases;
import dev.vaultgate.coordinator.backup.RecoveryPoint;
import dev.vaultgate.coordinator.backup.RecoveryPointStore;
import dev.vaultgate.coordinator.backup.RestoreJob;
import dev.vaultgate.coordinator.backup.VaultStore;
import dev.vaultgate.coordinator.gateway.PgActivationKeyStore;
import dev.vaultgate.coordinator.gateway.PgActivationStore;
import dev.vaultgate.coordinator.gateway.PgHypervisorStore;
import dev.vaultgate.coordinator.pki.CertificateRequestException;
import dev.vaultgate.coordinator.pki.GatewayPki;
import dev.vaultgate.coordinator.pki.IssuedCertificate;
import dev.vaultgate.coordinator.restoretest.PgRestoreTestResults;
import dev.vaultgate.coordinator.rules.RuleViolation;
import dev.vaultgate.coordinator.rules.VaultLock;
import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent API: what gateways call, as JSON over HTTP(S) under {@code /agent/v1/}. Two ways in:
 *
 * <ul>
 *   <li>the gateway listener ({@link #mountForCertificates}, its own port, mutual TLS with the gateway CA
 *       and its CRL): a gateway that joined with a certificate request is the gateway its client
 *       certificate names; no token, and no registration or activation calls there;
 *   <li>the coordinator's API port ({@link #mount}): activations, registration, and the gateway calls
 *       below with a bearer token (gateways registered with an account key, and tests).
 * </ul>
 *
 * <p>An activation may carry {@code "certificateRequest"} (PEM PKCS#10, checked at once: 400
 * InvalidParameterValueException when it could never be signed); its claim then answers, instead of a
 * token, {@code "certificate"} (signed by the gateway CA, CN = the activation's name), {@code
 * "caCertificate"} (the gateway CA), {@code "coordinatorCaCertificate"} (what to trust for the listener)
 * and {@code "gatewayEndpoint"} ({@code https://host:port} of the listener). DeleteGateway revokes the
 * certificate.
 *
 * <p>The calls:
 *
 * <ul>
 *   <li>{@code POST /agent/v1/gateways} registers a gateway. It is signed with AWS Signature V4
 *       (service {@code backup}, the coordinator's region) by an access key of the account the
 *       gateway will work for, as an installer holding the account's credentials would.
 *       Body {@code {"name": "site-a", "softwareVersion": "0.1.0"}}; answer 201
 *       {@code {"gatewayId", "gatewayArn", "token", "heartbeatSeconds", "leaseSeconds"}}. The
 *       token is shown once; the coordinator keeps only its SHA-256. A token, unlike an access
 *       key, cannot call the AWS Backup API: a stolen gateway cannot manage the account.
 *   <li>Or a gateway is activated, as AWS's appliances are: {@code POST /agent/v1/activations}
 *       (no credentials) {@code {"name"}} -> 201 {@code {"activationKey", "pollToken", "expiresAt"}}; the
 *       appliance shows the key, an administrator calls the backup-gateway API's CreateGateway with
 *       it, and the appliance polls {@code POST /agent/v1/activations/claim} {@code {"pollToken"}} ->
 *       {@code {}} while nobody has, then once the same answer as registration ({@code gatewayId,
 *       gatewayArn, token, heartbeatSeconds, leaseSeconds}). Keys are single-use and expire after 30
 *       minutes (410 {@code ActivationExpired}); an unknown poll token is 404 {@code
 *       UnknownActivation}, a second claim 409 {@code AlreadyClaimed}.
 *   <li>Or an operator issues a key for an account: {@code POST /agent/v1/activation-keys} (SigV4, as
 *       registration, by a key of that account) {@code {"name"?, "expiresInSeconds"?}} -> 201 {@code
 *       {"activationKey", "accountId", "expiresAt", "name"?}}, and the gateway joins with it in one call: {@code
 *       POST /agent/v1/join} (no credentials) {@code {"activationKey", "name", "certificateRequest"}} -> 201, the
 *       claim's answer with the certificate. 404 {@code UnknownActivationKey}, 409 {@code ActivationKeyUsed}, 410
 *       {@code ActivationExpired}; 400 for a key issued for another name or a request that cannot be signed
 *       (the key is then not spent). The activity log keeps activation keys cut to their first group.
 *   <li>Every other call carries {@code Authorization: Bearer <token>}:
 *   <li>{@code POST /agent/v1/heartbeat} {@code {"softwareVersion"?}} -> {@code {"gatewayId",
 *       "serverTime", "heartbeatSeconds", "hypervisors", "syncHypervisors", "hypervisorTests",
 *       "bandwidthRateLimitIntervals", "maintenanceStartTime"?}}, what the backup-gateway API set for
 *       this gateway:
 *       <ul>
 *         <li>{@code hypervisors}: {@code [{"hypervisorArn", "name", "host", "username"?,
 *             "password"?}]}, the hypervisors associated with the gateway (AssociateGatewayToServer),
 *             the password opened from its sealed form;
 *         <li>{@code syncHypervisors}: {@code [hypervisorArn...]}, StartVirtualMachinesMetadataSync
 *             requests; each is handed over once (the sync is then RUNNING until an inventory with
 *             {@code metadataSyncedAt} for the hypervisor's VMs completes it);
 *         <li>{@code hypervisorTests}: {@code [{"testId", "host", "username"?, "password"?}]},
 *             TestHypervisorConfiguration calls waiting for this gateway, each handed over once; the
 *             API call waits (20 s by default) for {@code /hypervisor-tests/{testId}}, so a gateway
 *             that wants to answer in time heartbeats every few seconds;
 *         <li>{@code bandwidthRateLimitIntervals}: as PutBandwidthRateLimitSchedule stored them,
 *             AWS member names ({@code AverageUploadRateLimitInBitsPerSec}?, {@code StartHourOfDay},
 *             {@code StartMinuteOfHour}, {@code EndHourOfDay}, {@code EndMinuteOfHour},
 *             {@code DaysOfWeek} with 0 = Sunday), {@code []} when none;
 *         <li>{@code maintenanceStartTime}: {@code {"HourOfDay", "MinuteOfHour", "DayOfWeek"?,
 *             "DayOfMonth"?}} as PutMaintenanceStartTime stored it, absent when never set.
 *       </ul>
 *       VMware-to-AWS tag mappings are not sent: the coordinator applies them.
 *   <li>{@code POST /agent/v1/inventory} {@code {"resources": [{"resourceArn", "resourceType":
 *       "VirtualMachine" | "LocalVolume", "name", "tags": {..}}], "complete"?: true}} -> {@code {"resources": n}}
 *       (a local volume of the appliance is {@code arn:aws:backup-gateway:<region>:<account>:local-volume/
 *       <gatewayId>/<name>}):
 *       the protected resources this gateway reaches (selections are evaluated against them, and
 *       only this gateway leases their jobs). With {@code complete}, resources it no longer
 *       reports are dropped. A VMware VM may carry {@code "hypervisorArn"}, {@code "hostName"},
 *       {@code "path"}, {@code "vmwareTags": [{"category", "name", "description"?}]} and {@code
 *       "metadataSyncedAt"} (ISO-8601): ListVirtualMachines and GetVirtualMachine show them, and a
 *       resource's AWS tags (what tag-based selections see) are its {@code tags}, then those the
 *       backup-gateway API's TagResource gave it, then its VMware tags mapped by its hypervisor's
 *       PutHypervisorPropertyMappings (a later source wins a key).
 *   <li>{@code POST /agent/v1/hypervisors/status} {@code {"hypervisorArn", "state": "ONLINE" |
 *       "OFFLINE" | "ERROR", "message"?}} -> {@code {}}: the hypervisor as this gateway sees it
 *       (GetHypervisor's State; for ERROR the message is the LatestMetadataSyncStatusMessage, and the
 *       sync FAILED). 404 when the hypervisor is not associated with this gateway.
 *   <li>{@code POST /agent/v1/hypervisor-tests/{testId}} {@code {"ok": true | false, "message"?}} ->
 *       {@code {}}: the result of a configuration test this gateway was handed; 404 for another
 *       gateway's test, 409 when it was answered already.
 *   <li>{@code POST /agent/v1/backup-jobs/start} {@code {"resourceArn"}} -> {@code {"backupJobId"}}:
 *       an on-demand backup (vCenter-triggered) of a VM in this gateway's inventory, made as
 *       StartBackupJob makes one, into the vault of the first rule of the first plan (oldest first)
 *       whose selection covers the resource, with that rule's lifecycle, windows and recovery point
 *       tags; 409 {@code NoPlanCoversResource} when no plan covers it, 404 when the gateway did not
 *       report the resource. The job is then leased like any other.
 *   <li>{@code POST /agent/v1/backup-jobs/lease} {@code {"leaseSeconds"?}} -> {@code {"job":
 *       {...}}}, or {@code {}} when no job waits. The job is RUNNING, leased to this gateway until
 *       {@code leaseExpiresAt}.
 *   <li>{@code POST /agent/v1/backup-jobs/{jobId}/progress} {@code {"percentDone"?,
 *       "bytesTransferred"?, "leaseSeconds"?}} -> {@code {"state", "leaseExpiresAt", "stop"}}:
 *       renews the lease; {@code stop: true} when StopBackupJob asked for the job to stop (the
 *       gateway then calls {@code fail}, and the job is ABORTED).
 *   <li>{@code POST /agent/v1/backup-jobs/{jobId}/complete} {@code {"backupSizeInBytes",
 *       "restoreMetadata"?: {..}}} -> {@code {"state": "COMPLETED", "recoveryPointArn", "creationDate",
 *       "moveToColdStorageAt"?, "deleteAt"?, "vaultLock": {"mode", "retainUntil"?}?}}: registers the
 *       recovery point; {@code state} is FAILED (with {@code statusMessage}) when the vault's lock
 *       refuses the job's retention.
 *   <li>{@code POST /agent/v1/backup-jobs/{jobId}/fail} {@code {"message"}} -> {@code {"state"}}.
 *   <li>Copy jobs (a plan rule's CopyActions, made when its backup completes, or StartCopyJob) are
 *       leased the same way: {@code POST /agent/v1/copy-jobs/lease} -> {@code {"job": {"kind":
 *       "COPY", ...}}} or {@code {}} (copies into any account's or region's vault; a copy into a
 *       region without {@code --region-storage} FAILS at its lease);
 *       {@code /copy-jobs/{jobId}/progress} {@code {"percentDone"?, "leaseSeconds"?}} -> {@code
 *       {"state", "leaseExpiresAt"}}; {@code /copy-jobs/{jobId}/complete} {@code
 *       {"backupSizeInBytes", "restoreMetadata"?}} registers the destination recovery point with
 *       the copy's lifecycle and answers as a backup's completion does (FAILED with {@code
 *       statusMessage} when the destination vault's lock refuses the retention or the vault is
 *       gone); {@code /copy-jobs/{jobId}/fail} {@code {"message"}}.
 *   <li>Restore jobs (StartRestoreJob): {@code POST /agent/v1/restore-jobs/lease} -> {@code {"job":
 *       {"kind": "RESTORE", ...}}} or {@code {}}; {@code /restore-jobs/{jobId}/progress} {@code
 *       {"percentDone"?, "leaseSeconds"?}}; {@code /restore-jobs/{jobId}/complete} {@code
 *       {"createdResourceArn"}} -> {@code {"state": "COMPLETED", "createdResourceArn"}}; {@code
 *       /restore-jobs/{jobId}/fail} {@code {"message"}}. The lease may carry {@code "resourceTypes":
 *       ["LocalVolume", ...]} (a gateway without vCenter leases only its local volumes' restores).
 *   <li>Restore tests (restore jobs a restore testing plan started) are leased the same way; their job carries
 *       {@code "restoreTest": {"restoreTestingPlanArn", "restoreTestingSelectionName", "validationWindowHours"}},
 *       and the gateway that leased one then reports, after {@code complete} (or {@code fail}): {@code
 *       /restore-jobs/{jobId}/validation} {@code {"status": "VALIDATING" | "SUCCESSFUL" | "FAILED", "message"?,
 *       "restoreSeconds"?}} -> {@code {"validationStatus"}} (what PutRestoreValidationResult sets; a failed
 *       restore validates FAILED only) and, once what it restored is deleted, {@code
 *       /restore-jobs/{jobId}/deletion} {@code {"status": "SUCCESSFUL" | "FAILED", "message"?}} -> {@code
 *       {"deletionStatus"}}. Another gateway's test, a result given already or a closed validation window is
 *       409 {@code InvalidRequestException}; a FAILED deletion may be followed by a SUCCESSFUL one.
 *   <li>{@code POST /agent/v1/restore-tests/find} {@code {"jobIds": [..]}} -> {@code {"restoreTests": [{"jobId",
 *       "status", "gatewayId", "mine", "validationStatus", "deletionStatus"}]}}: which of the jobs are the account's
 *       restore tests and which gateway ran each ({@code mine}: the caller); others are left out. A gateway asks
 *       before it deletes the scratch VMs ({@code vaultgate-restore-test-<job>}) a stop left behind.
 *   <li>A copy or restore job whose lease expires waits again for a gateway, up to {@link
 *       PgCopyAndRestoreLeases#MAX_ATTEMPTS} leases; then it FAILS.
 *   <li>Every leased job says where vault data lives, as the vault module reads a location
 *       ({@code file:///dir/...} or {@code s3://bucket/prefix/...?endpoint=...}): the coordinator's
 *       {@code vaultStorageRoot} followed by {@code /<accountId>/<vaultName>}. A backup job's {@code
 *       vaultLocation} is its vault's; a copy job has {@code sourceVaultLocation} and {@code
 *       destinationVaultLocation} (and {@code vaultLocation}, the destination's); a restore job's
 *       {@code vaultLocation} is the vault holding its recovery point.
 *   <li>A job whose vault was created with an {@code EncryptionKeyArn} carries it as {@code encryptionKeyArn}
 *       (a copy job: {@code sourceEncryptionKeyArn} and {@code destinationEncryptionKeyArn}, and {@code
 *       encryptionKeyArn}, the destination's): the gateway wraps that vault's keys with the KMS key.
 *   <li>A backup job into a locked vault carries {@code "vaultLock": {"mode": COMPLIANCE|GOVERNANCE,
 *       "retainUntil"?, "minRetentionDays"?, "maxRetentionDays"?}} ({@link #storageRetention}): the
 *       gateway keeps the vault in a bucket with Object Lock and writes the point under that retention.
 * </ul>
 *
 * <p>Times are ISO-8601 UTC strings. Errors answer a status and {@code {"error": <type>, "message":
 * <one line>, "requestId"}}: 400 bad input, 401 no or unknown token, 403 bad signature, 404 unknown
 * job or path, 409 a job this gateway does not hold (any more: {@code LeaseNotHeld}), whose window
 * has passed ({@code CompletionWindowPassed}), that is being stopped ({@code JobStopping}) or whose
 * state forbids the call ({@code InvalidRequestException}), 413 too large a body.
 */
public final class AgentApi {

  public static final String PREFIX = "/agent/v1";
  public static final Duration DEFAULT_LEASE = Duration.ofMinutes(5);
  public static final long MIN_LEASE_SECONDS = 30;
  public static final long MAX_LEASE_SECONDS = 3600;
  public static final long HEARTBEAT_SECONDS = 30;
  public static final int MAX_INVENTORY = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(AgentApi.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern GATEWAY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}");
  /** A gateway known by a certificate: its name is the certificate's CN, as the appliance's gatewayName. */
  private static final Pattern CERTIFICATE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  /** The activity log's names of the operator-key calls. */
  private static final String ISSUE_KEY = "CreateGatewayActivationKey";
  private static final String JOIN = "JoinGatewayWithActivationKey";
  private static final Pattern VM_ARN =
      Pattern.compile("arn:aws:backup-gateway:([a-z0-9-]+):([0-9]{12}):vm/[A-Za-z0-9._-]{1,200}");
  /**
   * A gateway's local volume (an image file or block device of the appliance), an ARN of Vaultgate's own in
   * backup-gateway's shape: {@code arn:aws:backup-gateway:<region>:<account>:local-volume/<gatewayId>/<name>}.
   */
  private static final Pattern LOCAL_VOLUME_ARN = Pattern.compile(
      "arn:aws:backup-gateway:([a-z0-9-]+):([0-9]{12}):local-volume/[A-Za-z0-9-]{1,100}/[A-Za-z0-9._-]{1,200}");
  private static final Set<String> RESOURCE_TYPES = Set.of("VirtualMachine", "LocalVolume");
  private static final Pattern HYPERVISOR_ARN =
      Pattern.compile("arn:aws:backup-gateway:([a-z0-9-]+):([0-9]{12}):hypervisor/[A-Za-z0-9-]{1,100}");
  private static final Set<String> HYPERVISOR_STATES = Set.of("ONLINE", "OFFLINE", "ERROR");

  private final Vertx vertx;
  private final GatewayStore gateways;
  private final JobLeaseStore leases;
  private final RecoveryPointStore points;
  private final BackupJobStore jobs;
  private final VaultStore vaults;
  private final PgCopyAndRestoreLeases copiesAndRestores;
  private final PgHypervisorStore hypervisors;
  private final PgActivationStore activations;
  private final OnDemandBackups onDemand;
  private final String vaultStorageRoot;
  private final Duration hypervisorTestTimeout;
  private final AccessKeyStore keys;
  private final SigV4Verifier verifier;
  private final String region;
  private final Clock clock;
  private final long bodyLimit;
  private final ActivityRecorder activity;
  /** Other regions' vault storage roots, by region name. */
  private Map<String, String> regionStorage = Map.of();
  /** The gateway CA and listener: null on a coordinator without one (activations then hand out tokens only). */
  private volatile GatewayPki pki;
  /** Where gateways report the restore tests they ran: null, no restore-test calls. */
  private volatile PgRestoreTestResults restoreTests;
  /** Operator-issued activation keys: null when this coordinator does not offer them. */
  private PgActivationKeyStore activationKeys;

  /** Where the activity log finds who called: the gateway, or the key that registered one. */
  private static final String CALLER_GATEWAY = "vaultgate.agent.gateway";
  private static final String CALLER_KEY = "vaultgate.agent.key";
  /** Set on the mutual-TLS listener's routes: the gateway is its client certificate's, not a token's. */
  private static final String BY_CERTIFICATE = "vaultgate.agent.byCertificate";

  public AgentApi(Vertx vertx, GatewayStore gateways, JobLeaseStore leases, RecoveryPointStore points,
      BackupJobStore jobs, VaultStore vaults, PgCopyAndRestoreLeases copiesAndRestores, PgHypervisorStore hypervisors,
      PgActivationStore activations, OnDemandBackups onDemand, AccessKeyStore keys, String region, String vaultStorageRoot,
      Duration hypervisorTestTimeout, Clock clock, long bodyLimit) {
    this(vertx, gateways, leases, points, jobs, vaults, copiesAndRestores, hypervisors, activations, onDemand, keys,
        region, vaultStorageRoot, hypervisorTestTimeout, clock, bodyLimit, ActivityRecorder.NONE);
  }

  /** With every call recorded in the activity log. */
  public AgentApi(Vertx vertx, GatewayStore gateways, JobLeaseStore leases, RecoveryPointStore points,
      BackupJobStore jobs, VaultStore vaults, PgCopyAndRestoreLeases copiesAndRestores, PgHypervisorStore hypervisors,
      PgActivationStore activations, OnDemandBackups onDemand, AccessKeyStore keys, String region,
      String vaultStorageRoot,
      Duration hypervisorTestTimeout, Clock clock, long bodyLimit, ActivityRecorder activity) {
    this.activity = activity;
    this.copiesAndRestores = copiesAndRestores;
    this.hypervisors = hypervisors;
    this.activations = activations;
    this.onDemand = onDemand;
    this.vaultStorageRoot = vaultStorageRoot;
    this.hypervisorTestTimeout = hypervisorTestTimeout;
    this.vertx = vertx;
    this.gateways = gateways;
    this.leases = leases;
    this.points = points;
    this.jobs = jobs;
    this.vaults = vaults;
    this.keys = keys;
    this.verifier = new SigV4Verifier("backup", region);
    this.region = region;
    this.clock = clock;
    this.bodyLimit = bodyLimit;
  }

  /** Where copies into other regions' vaults go: each region's vault storage root, by region name. */
  public AgentApi withRegionStorage(Map<String, String> regions) {
    this.regionStorage = Map.copyOf(regions);
    return this;
  }

  /** Signs the certificate requests of activations with this PKI's gateway CA, and names its listener in claims. */
  public AgentApi withPki(GatewayPki pki) {
    this.pki = pki;
    return this;
  }

  /** Takes the validation and clean-up of the restore tests gateways run. */
  public AgentApi withRestoreTests(PgRestoreTestResults results) {
    this.restoreTests = results;
    return this;
  }

  /** Offers operator-issued activation keys: {@code /activation-keys} and {@code /join}. */
  public AgentApi withActivationKeys(PgActivationKeyStore keys) {
    this.activationKeys = keys;
    return this;
  }

  /** Mounts the API under {@link #PREFIX}, ahead of whatever the router serves after; gateways show a bearer token. */
  public void mount(Router router) {
    mount(router, false);
  }

  /**
   * Mounts the gateway calls for the mutual-TLS gateway listener: a gateway is the one its client certificate
   * names (the handshake checked the CA and CRL); no token, no registration or activation there.
   */
  public void mountForCertificates(Router router) {
    mount(router, true);
  }

  private void mount(Router router, boolean byCertificate) {
    Router api = Router.router(vertx);
    api.route().handler(BodyHandler.create(false).setBodyLimit(bodyLimit).setHandleFileUploads(false));
    if (!byCertificate) {
      api.post("/gateways").handler(ctx -> answer(ctx, "RegisterGateway", register(ctx), 201));
      api.post("/activations").handler(ctx -> answer(ctx, "CreateGatewayActivation", activate(ctx), 201));
      api.post("/activations/claim").handler(ctx -> answer(ctx, "ClaimGatewayActivation", claim(ctx), 200));
      if (activationKeys != null) {
        api.post("/activation-keys").handler(ctx -> answer(ctx, ISSUE_KEY, issueActivationKey(ctx), 201));
        api.post("/join").handler(ctx -> answer(ctx, JOIN, join(ctx), 201));
      }
    }
    if (byCertificate) {
      api.route().handler(ctx -> {
        ctx.put(BY_CERTIFICATE, Boolean.TRUE);
        ctx.next();
      });
    }
    gatewayCall(api, "/heartbeat", "GatewayHeartbeat", Set.of("softwareVersion"), this::heartbeat);
    gatewayCall(api, "/inventory", "ReportInventory", Set.of("resources", "complete"), this::inventory);
    gatewayCall(api, "/hypervisors/status", "ReportHypervisorStatus", Set.of("hypervisorArn", "state", "message"),
        this::hypervisorStatus);
    gatewayCall(api, "/hypervisor-tests/:testId", "ReportHypervisorTestResult", Set.of("ok", "message"),
        this::hypervisorTestResult);
    gatewayCall(api, "/backup-jobs/start", "StartBackupJobFromGateway", Set.of("resourceArn"), this::startBackup);
    gatewayCall(api, "/backup-jobs/lease", "LeaseBackupJob", Set.of("leaseSeconds"), this::lease);
    gatewayCall(api, "/backup-jobs/:jobId/progress", "ReportBackupJobProgress",
        Set.of("percentDone", "bytesTransferred", "leaseSeconds"),
        this::progress);
    gatewayCall(api, "/backup-jobs/:jobId/complete", "CompleteBackupJob", Set.of("backupSizeInBytes", "restoreMetadata"), this::complete);
    gatewayCall(api, "/backup-jobs/:jobId/fail", "FailBackupJob", Set.of("message"), this::fail);
    gatewayCall(api, "/copy-jobs/lease", "LeaseCopyJob", Set.of("leaseSeconds"), this::leaseCopy);
    gatewayCall(api, "/copy-jobs/:jobId/progress", "ReportCopyJobProgress", Set.of("percentDone", "leaseSeconds"), this::progressCopy);
    gatewayCall(api, "/copy-jobs/:jobId/complete", "CompleteCopyJob", Set.of("backupSizeInBytes", "restoreMetadata"), this::completeCopy);
    gatewayCall(api, "/copy-jobs/:jobId/fail", "FailCopyJob", Set.of("message"), this::failCopy);
    gatewayCall(api, "/restore-jobs/lease", "LeaseRestoreJob", Set.of("leaseSeconds", "resourceTypes"), this::leaseRestore);
    gatewayCall(api, "/restore-jobs/:jobId/progress", "ReportRestoreJobProgress", Set.of("percentDone", "leaseSeconds"), this::progressRestore);
    gatewayCall(api, "/restore-jobs/:jobId/complete", "CompleteRestoreJob", Set.of("createdResourceArn"), this::completeRestore);
    gatewayCall(api, "/restore-jobs/:jobId/fail", "FailRestoreJob", Set.of("message"), this::failRestore);
    gatewayCall(api, "/restore-jobs/:jobId/validation", "PutRestoreValidationResultFromGateway",
        Set.of("status", "message", "restoreSeconds"), this::restoreValidation);
    gatewayCall(api, "/restore-jobs/:jobId/deletion", "PutRestoreDeletionStatusFromGateway", Set.of("status", "message"),
        this::restoreDeletion);
    gatewayCall(api, "/restore-tests/find", "FindRestoreTestsFromGateway", Set.of("jobIds"), this::findRestoreTests);
    api.route().handler(ctx -> answer(ctx, "UnknownAgentOperation", Future.failedFuture(ApiException.withStatus("UnknownOperationException", 404,
        "No agent operation at " + ctx.request().method() + " " + ctx.request().path())), 200));
    api.route().failureHandler(ctx -> {
      Throwable cause = ctx.statusCode() == 413
          ? ApiException.withStatus("RequestEntityTooLargeException", 413, "The request body is larger than " + bodyLimit + " bytes")
          : ctx.failure() != null ? ctx.failure()
          : ApiException.withStatus("SerializationException", 400, "The request could not be read");
      answer(ctx, "UnreadableAgentRequest", Future.failedFuture(cause), 200);
    });
    router.route(PREFIX + "/*").subRouter(api);
  }

  /** An operation a registered gateway calls. */
  @FunctionalInterface
  private interface GatewayOperation {
    Future<JsonObject> handle(Gateway gateway, AgentRequest request, RoutingContext ctx);
  }

  private void gatewayCall(Router api, String path, String operation, Set<String> fields, GatewayOperation op) {
    api.post(path).handler(ctx -> {
      Future<JsonObject> result;
      try {
        AgentRequest request = AgentRequest.parse(ctx.body().buffer(), fields);
        boolean byCertificate = Boolean.TRUE.equals(ctx.get(BY_CERTIFICATE));
        result = (byCertificate ? authenticateCertificate(ctx) : authenticate(ctx)).compose(gateway -> {
          ctx.put(CALLER_GATEWAY, gateway);
          return op.handle(gateway, request, ctx);
        });
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      answer(ctx, operation, result, 200);
    });
  }

  private Future<Gateway> authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
      throw ApiException.withStatus("MissingAuthenticationTokenException", 401,
          "The request has no 'Authorization: Bearer <gateway token>' header");
    }
    return gateways.findByToken(sha256(header.substring(7).trim())).map(g -> {
      if (g == null) {
        throw ApiException.withStatus("UnrecognizedClientException", 401,
            "The gateway token is not valid: register the gateway again");
      }
      return g;
    });
  }

  /**
   * The gateway named by the connection's client certificate. The handshake already refused certificates
   * of another CA or on the CRL; a certificate of a gateway deleted since (the CRL reloads within seconds)
   * is refused here.
   */
  private Future<Gateway> authenticateCertificate(RoutingContext ctx) {
    java.security.cert.X509Certificate cert;
    try {
      List<java.security.cert.Certificate> chain = ctx.request().connection().peerCertificates();
      cert = chain == null || chain.isEmpty() ? null : (java.security.cert.X509Certificate) chain.get(0);
    } catch (javax.net.ssl.SSLPeerUnverifiedException | ClassCastException e) {
      cert = null;
    }
    if (cert == null) {
      throw ApiException.withStatus("MissingAuthenticationTokenException", 401,
          "The connection has no gateway client certificate");
    }
    String serial = cert.getSerialNumber().toString(16).toUpperCase(Locale.ROOT);
    GatewayPki current = pki;
    if (current != null && current.ca().isRevoked(cert.getSerialNumber())) {
      throw ApiException.withStatus("UnrecognizedClientException", 401,
          "The gateway certificate " + serial + " is revoked: the gateway was deleted");
    }
    return gateways.findByCertificateSerial(serial).map(g -> {
      if (g == null) {
        throw ApiException.withStatus("UnrecognizedClientException", 401, "The gateway certificate " + serial
            + " is not of a registered gateway (deleted?): register the gateway again");
      }
      return g;
    });
  }

  /** The SigV4 signature of the request, parsed (not yet verified: that needs the key's secret). */
  private SignedRequest signedRequest(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    Map<String, List<String>> headers = lowerCaseHeaders(ctx.request().headers());
    if (!headers.containsKey("host") && ctx.request().authority() != null) {
      headers.put("host", List.of(ctx.request().authority().toString())); // HTTP/2 sends :authority, not Host
    }
    return new SignedRequest(ctx.request().method().name(), ctx.request().path(), ctx.request().query(), headers, bytes);
  }

  /** The access key that signed the request, its signature verified; 403 for an unknown key or a bad signature. */
  private Future<dev.vaultgate.coordinator.auth.AccessKey> signer(RoutingContext ctx, SignedRequest signed,
      SigV4Verifier.Authorization auth) {
    return keys.find(auth.accessKeyId()).map(key -> {
      if (key == null) {
        throw ApiException.withStatus("UnrecognizedClientException", 403,
            "The security token included in the request is invalid.");
      }
      ctx.put(CALLER_KEY, key);
      verifier.verify(signed, auth, key.secretAccessKey());
      return key;
    });
  }

  private Future<JsonObject> register(RoutingContext ctx) {
    try {
      Buffer body = ctx.body().buffer();
      SignedRequest signed = signedRequest(ctx);
      Instant now = clock.instant();
      SigV4Verifier.Authorization auth = verifier.parse(signed, now);
      AgentRequest in = AgentRequest.parse(body, Set.of("name", "softwareVersion"));
      String name = in.string("name", 100, true);
      if (!GATEWAY_NAME.matcher(name).matches()) {
        throw AgentRequest.invalid("Field 'name' must be letters, digits, spaces, '.', '_' or '-', starting with a"
            + " letter or digit");
      }
      String version = in.string("softwareVersion", 64, false);
      return signer(ctx, signed, auth).compose(key -> {
        String id = "sgw-" + HexFormat.of().withUpperCase().formatHex(randomBytes(4));
        String token = "vgt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        Gateway g = new Gateway(id, key.accountId(), "arn:aws:backup-gateway:" + region + ":" + key.accountId()
            + ":gateway/" + id, name, version, now, now);
        return gateways.register(g, sha256(token)).map(saved -> new JsonObject()
            .put("gatewayId", saved.gatewayId())
            .put("gatewayArn", saved.arn())
            .put("token", token)
            .put("heartbeatSeconds", HEARTBEAT_SECONDS)
            .put("leaseSeconds", DEFAULT_LEASE.toSeconds()));
      });
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<JsonObject> activate(RoutingContext ctx) {
    try {
      AgentRequest in = AgentRequest.parse(ctx.body().buffer(), Set.of("name", "certificateRequest"));
      String name = in.string("name", 100, true);
      if (!GATEWAY_NAME.matcher(name).matches()) {
        throw AgentRequest.invalid("Field 'name' must be letters, digits, spaces, '.', '_' or '-', starting with a"
            + " letter or digit");
      }
      String request = in.string("certificateRequest", 16_384, false);
      GatewayPki current = pki;
      if (request != null && current == null) {
        throw ApiException.withStatus("CertificateAuthorityUnavailable", 503,
            "This coordinator has no gateway CA: it cannot sign the certificate request of gateway " + name);
      }
      Instant now = clock.instant();
      String key = activationKey();
      String pollToken = "vgp_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
      // a request that could never be signed is refused now, not after an administrator used the key
      Future<Void> checked = request == null ? Future.succeededFuture()
          : vertx.executeBlocking(() -> {
            current.ca().checkRequest(request, name);
            return null;
          }, false);
      return checked.compose(c -> activations.create(key, sha256(pollToken), name, request, now)).map(v -> new JsonObject()
          .put("activationKey", key)
          .put("pollToken", pollToken)
          .put("expiresAt", now.plus(PgActivationStore.LIFETIME).toString()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * An operator's activation key for the signing key's account ({@code POST /activation-keys}, SigV4): {@code
   * {"name"?, "expiresInSeconds"?}} -> 201 {@code {"activationKey", "accountId", "expiresAt", "name"?}}. The key is
   * shown once (the coordinator keeps its SHA-256, and the activity log never sees it).
   */
  private Future<JsonObject> issueActivationKey(RoutingContext ctx) {
    try {
      SignedRequest signed = signedRequest(ctx);
      Instant now = clock.instant();
      SigV4Verifier.Authorization auth = verifier.parse(signed, now);
      AgentRequest in = AgentRequest.parse(ctx.body().buffer(), Set.of("name", "expiresInSeconds"));
      String name = in.string("name", 63, false);
      if (name != null && !CERTIFICATE_NAME.matcher(name).matches()) {
        throw AgentRequest.invalid("Field 'name' must be 1-63 letters, digits, '.', '_' or '-' (the gateway's"
            + " gatewayName), got " + name);
      }
      Long seconds = in.integer("expiresInSeconds", PgActivationKeyStore.MIN_LIFETIME.toSeconds(),
          PgActivationKeyStore.MAX_LIFETIME.toSeconds(), false);
      Duration lifetime = seconds == null ? PgActivationKeyStore.DEFAULT_LIFETIME : Duration.ofSeconds(seconds);
      return signer(ctx, signed, auth).compose(key -> activationKeys.issue(key.accountId(), name, lifetime, now))
          .map(issued -> withoutNulls(new JsonObject()
              .put("activationKey", issued.activationKey())
              .put("accountId", issued.accountId())
              .put("expiresAt", issued.expiresAt().toString())
              .put("name", issued.name())));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * A gateway joins with an operator's activation key ({@code POST /join}, no credentials: the key is the
   * credential): {@code {"activationKey", "name", "certificateRequest"}} -> 201, the claim's answer with the
   * certificate. A request that could never be signed is refused before the key is looked at, and spends nothing.
   */
  private Future<JsonObject> join(RoutingContext ctx) {
    try {
      AgentRequest in = AgentRequest.parse(ctx.body().buffer(), Set.of("activationKey", "name", "certificateRequest"));
      String key = in.string("activationKey", 100, true);
      String name = in.string("name", 63, true);
      if (!CERTIFICATE_NAME.matcher(name).matches()) {
        throw AgentRequest.invalid("Field 'name' must be 1-63 letters, digits, '.', '_' or '-', got " + name);
      }
      String request = in.string("certificateRequest", 16_384, true);
      if (!PgActivationKeyStore.wellFormed(key)) {
        throw AgentRequest.invalid("Field 'activationKey' is not an activation key (five groups of five letters and"
            + " digits, as 'scripts/coordinator gateways activation-key' prints it)");
      }
      GatewayPki current = pki;
      if (current == null) {
        throw ApiException.withStatus("CertificateAuthorityUnavailable", 503,
            "This coordinator has no gateway CA: gateway " + name + " cannot join with a certificate");
      }
      Instant now = clock.instant();
      String host = listenerHost(ctx);
      return vertx.executeBlocking(() -> {
            current.ca().checkRequest(request, name);
            return null;
          }, false)
          .compose(v -> activationKeys.join(key, name, request, region, now, certificateSigner(current)))
          .map(j -> certificateAnswer(current, host, j.gatewayId(), j.gatewayArn(), j.certificatePem()));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Signs an activation's request with the gateway CA, on a worker (key operations are CPU work). */
  private PgActivationStore.CertificateSigner certificateSigner(GatewayPki current) {
    return (request, name) -> vertx.executeBlocking(() -> {
      IssuedCertificate c = current.ca().sign(request, name, GatewayPki.GATEWAY_CERTIFICATE_VALIDITY);
      return new PgActivationStore.Signed(c.serialHex(), c.certificatePem());
    }, false);
  }

  private static String listenerHost(RoutingContext ctx) {
    return ctx.request().authority() == null ? "localhost" : ctx.request().authority().host();
  }

  /** What a gateway known by its certificate needs: the certificate, whom to trust, and where to call. */
  private JsonObject certificateAnswer(GatewayPki current, String host, String gatewayId, String gatewayArn,
      String certificatePem) {
    JsonObject out = new JsonObject()
        .put("gatewayId", gatewayId)
        .put("gatewayArn", gatewayArn)
        .put("heartbeatSeconds", HEARTBEAT_SECONDS)
        .put("leaseSeconds", DEFAULT_LEASE.toSeconds())
        .put("certificate", certificatePem)
        .put("caCertificate", current.ca().certificatePem())
        .put("coordinatorCaCertificate", current.coordinatorCaPem());
    if (current.listenerPort() > 0) {
      out.put("gatewayEndpoint", "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + current.listenerPort());
    }
    return out;
  }

  /** Five groups of five letters and digits, like the keys AWS's appliances show. */
  private static String activationKey() {
    String alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 25; i++) {
      if (i > 0 && i % 5 == 0) sb.append('-');
      sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  private Future<JsonObject> claim(RoutingContext ctx) {
    try {
      AgentRequest in = AgentRequest.parse(ctx.body().buffer(), Set.of("pollToken"));
      String pollToken = in.string("pollToken", 200, true);
      String token = "vgt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
      GatewayPki current = pki;
      PgActivationStore.CertificateSigner signer = current == null ? null : certificateSigner(current);
      String host = listenerHost(ctx);
      return activations.claim(sha256(pollToken), sha256(token), clock.instant(), signer).map(c -> {
        if (c.waiting()) return new JsonObject();
        if (c.certificatePem() == null) {
          return new JsonObject()
              .put("gatewayId", c.gatewayId())
              .put("gatewayArn", c.gatewayArn())
              .put("heartbeatSeconds", HEARTBEAT_SECONDS)
              .put("leaseSeconds", DEFAULT_LEASE.toSeconds())
              .put("token", token);
        }
        // known by its certificate from now on: no token; where and whom to call over mutual TLS
        return certificateAnswer(current, host, c.gatewayId(), c.gatewayArn(), c.certificatePem());
      });
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<JsonObject> heartbeat(Gateway g, AgentRequest in, RoutingContext ctx) {
    String version = in.string("softwareVersion", 64, false);
    Instant now = clock.instant();
    return gateways.heartbeat(g.gatewayId(), version, now).compose(v -> {
      Future<GatewayStore.Settings> settings = gateways.settings(g.gatewayId());
      Future<List<PgHypervisorStore.Credentials>> reach = hypervisors.credentialsFor(g.gatewayId());
      Future<List<String>> syncs = hypervisors.takeSyncRequests(g.gatewayId());
      Future<List<PgHypervisorStore.PendingTest>> tests = hypervisors.takeTests(g.gatewayId(), now, hypervisorTestTimeout);
      return Future.all(settings, reach, syncs, tests).map(all -> {
        JsonArray hypervisorList = new JsonArray();
        for (PgHypervisorStore.Credentials c : reach.result()) {
          hypervisorList.add(withoutNulls(new JsonObject().put("hypervisorArn", c.hypervisorArn()).put("name", c.name())
              .put("host", c.host()).put("username", c.username()).put("password", c.password())));
        }
        JsonArray testList = new JsonArray();
        for (PgHypervisorStore.PendingTest t : tests.result()) {
          testList.add(withoutNulls(new JsonObject().put("testId", t.testId()).put("host", t.host())
              .put("username", t.username()).put("password", t.password())));
        }
        JsonObject out = new JsonObject()
            .put("gatewayId", g.gatewayId())
            .put("serverTime", now.toString())
            .put("heartbeatSeconds", HEARTBEAT_SECONDS)
            .put("hypervisors", hypervisorList)
            .put("syncHypervisors", new JsonArray(new ArrayList<>(syncs.result())))
            .put("hypervisorTests", testList)
            .put("bandwidthRateLimitIntervals", settings.result().bandwidthRateLimitIntervals());
        if (settings.result().maintenanceStartTime() != null) {
          out.put("maintenanceStartTime", settings.result().maintenanceStartTime());
        }
        return out;
      });
    });
  }

  private Future<JsonObject> inventory(Gateway g, AgentRequest in, RoutingContext ctx) {
    JsonArray resources = in.array("resources", MAX_INVENTORY, true);
    boolean complete = in.bool("complete", false);
    List<InventoryItem> items = new ArrayList<>(resources.size());
    Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < resources.size(); i++) {
      String at = "resources[" + i + "].";
      if (!(resources.getValue(i) instanceof JsonObject o)) throw AgentRequest.invalid("Field '" + at + "' must be an object");
      AgentRequest r = AgentRequest.of(o, Set.of("resourceArn", "resourceType", "name", "tags", "hypervisorArn",
          "hostName", "path", "vmwareTags", "metadataSyncedAt"), at);
      String arn = r.string("resourceArn", 1011, true);
      var m = VM_ARN.matcher(arn);
      if (!m.matches()) m = LOCAL_VOLUME_ARN.matcher(arn);
      if (!m.matches()) {
        throw AgentRequest.invalid("Field '" + at + "resourceArn' is not a virtual machine or local volume ARN"
            + " (arn:aws:backup-gateway:<region>:<account>:vm/<id> or ...:local-volume/<gatewayId>/<name>): " + arn);
      }
      if (!m.group(1).equals(region) || !m.group(2).equals(g.accountId())) {
        throw AgentRequest.invalid("Field '" + at + "resourceArn' names region " + m.group(1) + " and account "
            + m.group(2) + ", but this gateway works in " + region + " for account " + g.accountId());
      }
      if (!seen.add(arn)) throw AgentRequest.invalid("Resource " + arn + " is reported twice");
      String type = r.string("resourceType", 64, true);
      if (!RESOURCE_TYPES.contains(type)) {
        throw AgentRequest.invalid("Field '" + at + "resourceType' must be one of " + RESOURCE_TYPES + ", got " + type);
      }
      if (type.equals("LocalVolume") != arn.contains(":local-volume/")) {
        throw AgentRequest.invalid("Field '" + at + "resourceType' " + type + " does not match resourceArn " + arn);
      }
      String hypervisorArn = r.string("hypervisorArn", 500, false);
      if (hypervisorArn != null) {
        var h = HYPERVISOR_ARN.matcher(hypervisorArn);
        if (!h.matches() || !h.group(1).equals(region) || !h.group(2).equals(g.accountId())) {
          throw AgentRequest.invalid("Field '" + at + "hypervisorArn' is not a hypervisor ARN of account "
              + g.accountId() + " in " + region + " (arn:aws:backup-gateway:<region>:<account>:hypervisor/<id>): "
              + hypervisorArn);
        }
      }
      items.add(new InventoryItem(arn, type, r.string("name", 256, true), r.strings("tags", 50, 128, 256),
          hypervisorArn, r.string("hostName", 100, false), r.string("path", 4096, false),
          vmwareTags(r.array("vmwareTags", 500, false), at), r.time("metadataSyncedAt")));
    }
    return gateways.reportInventory(g, items, complete, clock.instant())
        .map(n -> new JsonObject().put("resources", n));
  }

  /** VMware tags as the agent reports them: {@code [{"category", "name", "description"?}]}. */
  private static JsonArray vmwareTags(JsonArray tags, String at) {
    JsonArray out = new JsonArray();
    for (int i = 0; i < tags.size(); i++) {
      String where = at + "vmwareTags[" + i + "].";
      if (!(tags.getValue(i) instanceof JsonObject o)) throw AgentRequest.invalid("Field '" + where + "' must be an object");
      AgentRequest t = AgentRequest.of(o, Set.of("category", "name", "description"), where);
      JsonObject tag = new JsonObject().put("category", t.string("category", 80, true)).put("name", t.string("name", 80, true));
      String description = t.string("description", 2048, false);
      if (description != null) tag.put("description", description);
      out.add(tag);
    }
    return out;
  }

  private Future<JsonObject> hypervisorStatus(Gateway g, AgentRequest in, RoutingContext ctx) {
    String arn = in.string("hypervisorArn", 500, true);
    String state = in.string("state", 16, true);
    if (!HYPERVISOR_STATES.contains(state)) {
      throw AgentRequest.invalid("Field 'state' must be one of " + HYPERVISOR_STATES + ", got " + state);
    }
    String message = in.string("message", 2048, false);
    return hypervisors.reportState(g.gatewayId(), arn, state, message, clock.instant()).map(v -> new JsonObject());
  }

  private Future<JsonObject> hypervisorTestResult(Gateway g, AgentRequest in, RoutingContext ctx) {
    Object ok = in.required("ok");
    if (!(ok instanceof Boolean passed)) throw AgentRequest.invalid("Field 'ok' must be true or false");
    String message = in.string("message", 2048, false);
    return hypervisors.answerTest(g.gatewayId(), ctx.pathParam("testId"), passed, message, clock.instant())
        .map(v -> new JsonObject());
  }

  private Future<JsonObject> startBackup(Gateway g, AgentRequest in, RoutingContext ctx) {
    String arn = in.string("resourceArn", 1011, true);
    return onDemand.start(g.accountId(), g.gatewayId(), arn, clock.instant())
        .map(job -> new JsonObject().put("backupJobId", job.jobId()));
  }

  private Future<JsonObject> lease(Gateway g, AgentRequest in, RoutingContext ctx) {
    Duration leaseFor = leaseFor(in);
    Instant now = clock.instant();
    return leases.lease(g.accountId(), g.gatewayId(), now, leaseFor).compose(lease -> lease == null
        ? Future.succeededFuture(new JsonObject())
        : vaults.find(lease.job().accountId(), lease.job().vaultName()).map(vault -> {
          JsonObject job = job(lease.job())
              .put("vaultLocation", VaultLocations.of(vaultStorageRoot, lease.job().accountId(), lease.job().vaultName()))
              .put("leaseExpiresAt", lease.expiresAt().toString());
          JsonObject retention = vault == null ? null : storageRetention(vault.lock(), lease.job().lifecycle(), now);
          if (retention != null) job.put("vaultLock", retention);
          if (vault != null && vault.encryptionKeyArn() != null) job.put("encryptionKeyArn", vault.encryptionKeyArn());
          return new JsonObject().put("job", job);
        }));
  }

  /**
   * What a locked vault's storage must hold a new point for: Object Lock mode, retain-until (the
   * rule's DeleteAfterDays, else the lock's MinRetentionDays, from now) and the lock's bounds, so the
   * gateway creates the vault locked and writes every object with that retention. A compliance
   * lock still in its grace time can be removed, so its objects are written GOVERNANCE until then.
   * Null for a vault without a lock.
   */
  static JsonObject storageRetention(VaultLock lock, JsonObject lifecycle, Instant now) {
    if (lock == null) return null;
    Long deleteAfter = lifecycle == null ? null : lifecycle.getLong("DeleteAfterDays");
    Long days = deleteAfter != null ? deleteAfter : lock.minRetentionDays();
    JsonObject out = new JsonObject().put("mode", lock.isImmutable(now) ? "COMPLIANCE" : "GOVERNANCE");
    if (days != null) out.put("retainUntil", now.plus(Duration.ofDays(days)).toString());
    if (lock.minRetentionDays() != null) out.put("minRetentionDays", lock.minRetentionDays());
    if (lock.maxRetentionDays() != null) out.put("maxRetentionDays", lock.maxRetentionDays());
    return out;
  }

  private Future<JsonObject> progress(Gateway g, AgentRequest in, RoutingContext ctx) {
    Double percent = in.number("percentDone", 0, 100);
    Long bytes = in.integer("bytesTransferred", 0, Long.MAX_VALUE, false);
    Duration leaseFor = leaseFor(in);
    return leases.progress(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"),
            percent == null ? null : String.format(Locale.ROOT, "%.1f", percent), bytes, clock.instant(), leaseFor)
        .map(lease -> new JsonObject()
            .put("state", lease.job().state())
            .put("leaseExpiresAt", lease.expiresAt().toString())
            .put("stop", lease.job().state().equals("ABORTING")));
  }

  private Future<JsonObject> complete(Gateway g, AgentRequest in, RoutingContext ctx) {
    long size = in.integer("backupSizeInBytes", 0, Long.MAX_VALUE, true);
    Map<String, String> metadata = in.strings("restoreMetadata", 200, 256, 10_240);
    String jobId = ctx.pathParam("jobId");
    Instant now = clock.instant();
    return points.completeBackup(g.accountId(), jobId, size, metadata, now, (job, owner) -> {
      JobLeaseStore.checkHolder(job, owner, g.gatewayId(), now);
      if (job.state().equals("ABORTING")) {
        throw new LeaseException(LeaseException.Reason.STOPPING, "Backup job " + jobId
            + " is being stopped: report it with fail, not complete");
      }
    }).compose(point -> point == null
        ? jobs.find(g.accountId(), jobId).map(j -> new JsonObject().put("state", j.state())
            .put("statusMessage", j.statusMessage()))
        : vaults.find(g.accountId(), point.vaultName()).map(v -> completed(point, v == null ? null : v.lock())));
  }

  private static JsonObject completed(RecoveryPoint p, VaultLock lock) {
    JsonObject out = new JsonObject()
        .put("state", "COMPLETED")
        .put("recoveryPointArn", p.arn())
        .put("creationDate", p.createdAt().toString());
    if (p.coldAt() != null) out.put("moveToColdStorageAt", p.coldAt().toString());
    if (p.deleteAt() != null) out.put("deleteAt", p.deleteAt().toString());
    if (lock != null) {
      JsonObject l = new JsonObject().put("mode", lock.isCompliance() ? "COMPLIANCE" : "GOVERNANCE");
      if (p.deleteAt() != null) l.put("retainUntil", p.deleteAt().toString());
      out.put("vaultLock", l);
    }
    return out;
  }

  private Future<JsonObject> fail(Gateway g, AgentRequest in, RoutingContext ctx) {
    String message = in.string("message", 2048, true);
    return leases.fail(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), message, clock.instant())
        .map(job -> new JsonObject().put("state", job.state()));
  }

  private Future<JsonObject> leaseCopy(Gateway g, AgentRequest in, RoutingContext ctx) {
    Duration leaseFor = leaseFor(in);
    return copiesAndRestores.leaseCopy(g.accountId(), g.gatewayId(), clock.instant(), leaseFor).compose(lease -> {
      if (lease == null) return Future.succeededFuture(new JsonObject());
      String destination = lease.job().destinationVaultArn();
      if (location(destination) == null) {
        // A region whose storage this coordinator does not know: no gateway could ever write the copy.
        String r = destination.split(":", 7)[3];
        return copiesAndRestores.failCopy(g.accountId(), g.gatewayId(), lease.job().jobId(), "Copies into region " + r
                + " cannot be written: the coordinator has no vault storage for it (start it with --region-storage " + r
                + "=URL)", clock.instant())
            .map(failed -> new JsonObject());
      }
      JsonObject job = withLocations(copyJob(lease.job()), lease.job()).put("leaseExpiresAt", lease.expiresAt().toString());
      return keyOf(lease.job().sourceVaultArn()).compose(sourceKey -> keyOf(destination).map(destinationKey -> {
        if (sourceKey != null) job.put("sourceEncryptionKeyArn", sourceKey);
        if (destinationKey != null) job.put("destinationEncryptionKeyArn", destinationKey).put("encryptionKeyArn", destinationKey);
        return new JsonObject().put("job", job);
      }));
    });
  }

  private Future<JsonObject> progressCopy(Gateway g, AgentRequest in, RoutingContext ctx) {
    String percent = percent(in);
    Duration leaseFor = leaseFor(in);
    return copiesAndRestores.progressCopy(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), percent,
            clock.instant(), leaseFor)
        .map(lease -> new JsonObject().put("state", lease.job().state())
            .put("leaseExpiresAt", lease.expiresAt().toString()).put("stop", false));
  }

  private Future<JsonObject> completeCopy(Gateway g, AgentRequest in, RoutingContext ctx) {
    long size = in.integer("backupSizeInBytes", 0, Long.MAX_VALUE, true);
    Map<String, String> metadata = in.strings("restoreMetadata", 200, 256, 10_240);
    return copiesAndRestores.completeCopy(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), size, metadata,
            clock.instant())
        .map(done -> done.point() == null
            ? new JsonObject().put("state", done.job().state()).put("statusMessage", done.job().statusMessage())
            : completed(done.point(), done.lock()));
  }

  private Future<JsonObject> failCopy(Gateway g, AgentRequest in, RoutingContext ctx) {
    String message = in.string("message", 2048, true);
    return copiesAndRestores.failCopy(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), message, clock.instant())
        .map(job -> new JsonObject().put("state", job.state()));
  }

  private Future<JsonObject> leaseRestore(Gateway g, AgentRequest in, RoutingContext ctx) {
    Duration leaseFor = leaseFor(in);
    JsonArray types = in.array("resourceTypes", 10, false);
    List<String> only = types.isEmpty() ? null : types.stream().map(String::valueOf).toList();
    return copiesAndRestores.leaseRestore(g.accountId(), g.gatewayId(), clock.instant(), leaseFor, only).compose(lease -> {
      if (lease == null) return Future.succeededFuture(new JsonObject());
      JsonObject job = withLocation(restoreJob(lease.job()), lease.job()).put("leaseExpiresAt", lease.expiresAt().toString());
      PgRestoreTestResults tests = restoreTests;
      Future<JsonObject> test = keyOf(lease.job().vaultArn()).compose(key -> {
        if (key != null) job.put("encryptionKeyArn", key);
        return tests == null ? Future.succeededFuture() : tests.leased(g.accountId(), g.gatewayId(), lease.job().jobId());
      });
      return test.map(t -> new JsonObject().put("job", t == null ? job : job.put("restoreTest", t)));
    });
  }

  private Future<JsonObject> restoreValidation(Gateway g, AgentRequest in, RoutingContext ctx) {
    String status = in.string("status", 32, true);
    String message = in.string("message", 2048, false);
    Double seconds = in.number("restoreSeconds", 0, 1e9);
    return results().putValidation(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), status, message, seconds)
        .map(v -> new JsonObject().put("validationStatus", status));
  }

  private Future<JsonObject> restoreDeletion(Gateway g, AgentRequest in, RoutingContext ctx) {
    String status = in.string("status", 32, true);
    String message = in.string("message", 2048, false);
    return results().putDeletion(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), status, message)
        .map(v -> new JsonObject().put("deletionStatus", status));
  }

  /** The restore tests among {@code jobIds} (a gateway asks before it deletes the scratch VMs of tests it ran). */
  private Future<JsonObject> findRestoreTests(Gateway g, AgentRequest in, RoutingContext ctx) {
    JsonArray ids = in.array("jobIds", 1000, true);
    List<String> jobIds = new ArrayList<>();
    for (Object id : ids) {
      if (!(id instanceof String s) || s.isEmpty() || s.length() > 64) {
        throw AgentRequest.invalid("Field 'jobIds' must hold job ids (strings of 1 to 64 characters)");
      }
      jobIds.add(s);
    }
    return results().find(g.accountId(), g.gatewayId(), jobIds).map(found -> new JsonObject().put("restoreTests", found));
  }

  private PgRestoreTestResults results() {
    PgRestoreTestResults tests = restoreTests;
    if (tests == null) {
      throw ApiException.withStatus("UnknownOperationException", 404, "This coordinator takes no restore test results");
    }
    return tests;
  }

  private Future<JsonObject> progressRestore(Gateway g, AgentRequest in, RoutingContext ctx) {
    String percent = percent(in);
    Duration leaseFor = leaseFor(in);
    return copiesAndRestores.progressRestore(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), percent,
            clock.instant(), leaseFor)
        .map(lease -> new JsonObject().put("state", lease.job().status())
            .put("leaseExpiresAt", lease.expiresAt().toString()).put("stop", false));
  }

  private Future<JsonObject> completeRestore(Gateway g, AgentRequest in, RoutingContext ctx) {
    String created = in.string("createdResourceArn", 1011, true);
    if (!created.startsWith("arn:") || created.split(":", 6).length < 6) {
      throw AgentRequest.invalid("Field 'createdResourceArn' is not an ARN: " + created);
    }
    return copiesAndRestores.completeRestore(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), created,
            clock.instant())
        .map(job -> new JsonObject().put("state", job.status()).put("createdResourceArn", job.createdResourceArn()));
  }

  private Future<JsonObject> failRestore(Gateway g, AgentRequest in, RoutingContext ctx) {
    String message = in.string("message", 2048, true);
    return copiesAndRestores.failRestore(g.accountId(), g.gatewayId(), ctx.pathParam("jobId"), message,
            clock.instant())
        .map(job -> new JsonObject().put("state", job.status()));
  }

  private static String percent(AgentRequest in) {
    Double percent = in.number("percentDone", 0, 100);
    return percent == null ? null : String.format(Locale.ROOT, "%.1f", percent);
  }

  /** A copy reads from the source vault's location and writes to the destination's ({@code vaultLocation}). */
  private JsonObject withLocations(JsonObject out, CopyJob j) {
    String source = location(j.sourceVaultArn());
    String destination = location(j.destinationVaultArn());
    return out.put("sourceVaultLocation", source).put("destinationVaultLocation", destination)
        .put("vaultLocation", destination);
  }

  /** A restore reads from the location of the vault holding the recovery point. */
  private JsonObject withLocation(JsonObject out, RestoreJob j) {
    if (j.vaultArn() != null) out.put("vaultLocation", location(j.vaultArn()));
    return out;
  }

  /**
   * The KMS key (EncryptionKeyArn) of the vault {@code vaultArn} names ({@code arn:aws:backup:<region>:<account>:
   * backup-vault:<name>}): the gateway wraps the vault's keys with it. Null when the vault has none, or is not
   * this coordinator's.
   */
  private Future<String> keyOf(String vaultArn) {
    String[] parts = vaultArn == null ? new String[0] : vaultArn.split(":", 7);
    if (parts.length < 7 || !"backup-vault".equals(parts[5])) return Future.succeededFuture();
    return vaults.find(parts[4], parts[6]).map(v -> v == null ? null : v.encryptionKeyArn());
  }

  /**
   * The location of a vault by its ARN (the account is the ARN's): under this region's storage
   * root, or the root {@code --region-storage} gives the ARN's region; null for a region with none.
   */
  private String location(String vaultArn) {
    return VaultLocations.ofArn(region, vaultStorageRoot, regionStorage, vaultArn);
  }

  /** What a gateway needs to run a copy job. */
  static JsonObject copyJob(CopyJob j) {
    JsonObject out = new JsonObject()
        .put("kind", "COPY")
        .put("jobId", j.jobId())
        .put("accountId", j.accountId())
        .put("resourceArn", j.resourceArn())
        .put("resourceType", j.resourceType())
        .put("sourceBackupVaultArn", j.sourceVaultArn())
        .put("sourceRecoveryPointArn", j.sourceRecoveryPointArn())
        .put("destinationBackupVaultArn", j.destinationVaultArn())
        .put("destinationRecoveryPointArn", j.destinationRecoveryPointArn())
        .put("iamRoleArn", j.iamRoleArn());
    if (j.backupSizeBytes() != null) out.put("backupSizeInBytes", j.backupSizeBytes());
    if (j.lifecycle() != null) out.put("lifecycle", j.lifecycle());
    return out;
  }

  /** What a gateway needs to run a restore job. */
  static JsonObject restoreJob(RestoreJob j) {
    JsonObject out = new JsonObject()
        .put("kind", "RESTORE")
        .put("jobId", j.jobId())
        .put("accountId", j.accountId())
        .put("recoveryPointArn", j.recoveryPointArn())
        .put("sourceResourceArn", j.sourceResourceArn())
        .put("resourceType", j.resourceType())
        .put("metadata", j.metadata() == null ? new JsonObject() : j.metadata());
    if (j.vaultArn() != null) out.put("backupVaultArn", j.vaultArn());
    if (j.iamRoleArn() != null) out.put("iamRoleArn", j.iamRoleArn());
    if (j.backupSizeBytes() != null) out.put("backupSizeInBytes", j.backupSizeBytes());
    return out;
  }

  private static Duration leaseFor(AgentRequest in) {
    Long seconds = in.integer("leaseSeconds", MIN_LEASE_SECONDS, MAX_LEASE_SECONDS, false);
    return seconds == null ? DEFAULT_LEASE : Duration.ofSeconds(seconds);
  }

  /** What a gateway needs to run a backup job. */
  static JsonObject job(BackupJob j) {
    JsonObject out = new JsonObject()
        .put("kind", "BACKUP")
        .put("jobId", j.jobId())
        .put("accountId", j.accountId())
        .put("resourceArn", j.resourceArn())
        .put("resourceType", j.resourceType())
        .put("backupVaultName", j.vaultName())
        .put("backupVaultArn", j.vaultArn())
        .put("recoveryPointArn", j.recoveryPointArn())
        .put("iamRoleArn", j.iamRoleArn())
        .put("startBy", j.startBy().toString());
    if (j.completeBy() != null) out.put("completeBy", j.completeBy().toString());
    if (j.lifecycle() != null) out.put("lifecycle", j.lifecycle());
    if (j.recoveryPointTags() != null) out.put("recoveryPointTags", j.recoveryPointTags());
    if (j.backupOptions() != null) out.put("backupOptions", j.backupOptions());
    return out;
  }

  private void answer(RoutingContext ctx, String operation, Future<JsonObject> result, int status) {
    result.onComplete(ar -> {
      if (ctx.response().ended()) return;
      if (ar.succeeded()) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(ar.result().encode());
        record(ctx, operation, ar.result(), null, null);
      } else {
        JsonObject err = error(ctx, ar.cause());
        record(ctx, operation, null, err.getString("error"), err.getString("message"));
      }
    });
  }

  /** Hands the call to the activity log after it is answered; a failure here never reaches the gateway. */
  private void record(RoutingContext ctx, String operation, JsonObject response, String errorCode, String message) {
    try {
      Gateway g = ctx.get(CALLER_GATEWAY);
      dev.vaultgate.coordinator.auth.AccessKey key = ctx.get(CALLER_KEY);
      Buffer body = ctx.body().buffer();
      Map<String, String> pathResources = new LinkedHashMap<>();
      String jobId = ctx.pathParam("jobId");
      if (jobId != null) {
        String path = ctx.request().path();
        pathResources.put(jobId, path.contains("/copy-jobs/") ? "AWS::Backup::CopyJob"
            : path.contains("/restore-jobs/") ? "AWS::Backup::RestoreJob" : "AWS::Backup::BackupJob");
      }
      String account = g != null ? g.accountId() : key != null ? key.accountId() : null;
      String source = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
      String userAgent = ctx.request().getHeader("User-Agent");
      String requestId = ctx.response().headers().get("x-amzn-RequestId");
      Instant at = clock.instant();
      // parsing the body again and building the record (an inventory can be large) happen on the log's worker
      activity.recordLater(() -> {
        JsonObject request;
        try {
          request = body == null || body.length() == 0 ? null : body.toJsonObject();
        } catch (RuntimeException unreadable) {
          request = new JsonObject().put("unreadableBody", true);
        }
        return ActivityEvents.agentCall(operation, account, g == null ? null : g.gatewayId(),
            g == null ? null : g.arn(), g == null && key != null ? key.accessKeyId() : null, source, userAgent,
            masked(request), masked(response), pathResources, errorCode, message, requestId, at, region);
      });
    } catch (RuntimeException e) {
      LOG.error("agent call {} not recorded in the activity log: {}", operation, e.toString());
    }
  }

  /** An activation key in a logged body, cut to its first group: who reads the log cannot join with it. */
  static JsonObject masked(JsonObject body) {
    if (body == null || !(body.getValue("activationKey") instanceof String key)) return body;
    return body.copy().put("activationKey", key.length() > 5 ? key.substring(0, 5) + "-..." : "...");
  }

  private static JsonObject error(RoutingContext ctx, Throwable cause) {
    String requestId = UUID.randomUUID().toString();
    int status;
    String type;
    if (cause instanceof ApiException api) {
      type = api.type();
      status = api.status() != 0 ? api.status() : switch (type) {
        case "ResourceNotFoundException" -> 404;
        case "InvalidRequestException", "AlreadyExistsException", "InvalidResourceStateException" -> 409;
        default -> 400;
      };
    } else if (cause instanceof LeaseException lease) {
      status = 409;
      type = switch (lease.reason()) {
        case NOT_HELD -> "LeaseNotHeld";
        case WINDOW_PASSED -> "CompletionWindowPassed";
        case STOPPING -> "JobStopping";
      };
    } else if (cause instanceof CertificateRequestException) {
      status = 400;
      type = "InvalidParameterValueException";
    } else if (cause instanceof RuleViolation v) {
      status = 400;
      type = "InvalidParameterValueException";
    } else {
      LOG.error("agent request {} {} {} failed", requestId, ctx.request().method(), ctx.request().path(), cause);
      status = 500;
      type = "InternalFailure";
      cause = new IllegalStateException("An internal error occurred (request " + requestId + ")");
    }
    String message = String.valueOf(cause.getMessage()).replace('\n', ' ');
    JsonObject body = new JsonObject().put("error", type).put("message", message).put("requestId", requestId);
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("x-amzn-RequestId", requestId)
        .end(body.encode());
    return body;
  }

  private static Map<String, List<String>> lowerCaseHeaders(MultiMap headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : headers) {
      out.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(e.getValue());
    }
    return out;
  }

  private static JsonObject withoutNulls(JsonObject o) {
    o.getMap().values().removeIf(java.util.Objects::isNull);
    return o;
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static String sha256(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
