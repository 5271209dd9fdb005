package dev.vaultgate.appliance.volumes;

import dev.vaultgate.agent.gateway.LocalResources;
import dev.vaultgate.agent.gateway.VaultAccess;
import dev.vaultgate.appliance.config.ApplianceConfig.LocalVolume;
import dev.vaultgate.appliance.runtime.JobBoard;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The appliance's local volumes as the coordinator sees them: protected resources of type {@code LocalVolume}
 * with ARN {@code arn:aws:backup-gateway:<region>:<account>:local-volume/<gatewayId>/<name>} and the config's
 * tags, so tag-based plans and StartBackupJob cover them like VMs. A leased job backs the volume up into the
 * vault the job names, through {@link LocalVolumeJobs} (same reads, LVM snapshot, progress on the job board,
 * dedup: blocks the vault holds already are not uploaded again).
 */
public final class LocalVolumeResources implements LocalResources {
  public static final String RESOURCE_TYPE = "LocalVolume";

  private final VaultAccess vaults;
  private final JobBoard board;
  private final WorkerExecutor blocking;
  private final Lvm lvm;
  private final LocalVolumeJobs.SourceOpener opener;
  private final String gatewayName;
  private final List<LocalVolume> volumes;

  public LocalVolumeResources(VaultAccess vaults, JobBoard board, WorkerExecutor blocking, Lvm lvm,
      LocalVolumeJobs.SourceOpener opener, String gatewayName, List<LocalVolume> volumes) {
    this.vaults = vaults;
    this.board = board;
    this.blocking = blocking;
    this.lvm = lvm;
    this.opener = opener;
    this.gatewayName = gatewayName;
    this.volumes = List.copyOf(volumes);
  }

  /** The ARN of volume {@code name} of gateway {@code gatewayId}. */
  public static String arn(String region, String accountId, String gatewayId, String name) {
    return "arn:aws:backup-gateway:" + region + ":" + accountId + ":local-volume/" + gatewayId + "/" + name;
  }

  @Override
  public JsonArray inventory(String region, String accountId, String gatewayId) {
    JsonArray out = new JsonArray();
    for (LocalVolume v : volumes) {
      out.add(new JsonObject().put("resourceArn", arn(region, accountId, gatewayId, v.name()))
          .put("resourceType", RESOURCE_TYPE).put("name", v.name()).put("path", v.path().toString())
          .put("tags", new JsonObject(new java.util.LinkedHashMap<>(v.tags()))));
    }
    return out;
  }

  @Override
  public boolean runs(String resourceType) {
    return RESOURCE_TYPE.equals(resourceType);
  }

  @Override
  public Future<JsonObject> backup(JsonObject job, String vaultLocation, Progress progress) {
    String arn = job.getString("resourceArn", "");
    String name = arn.substring(arn.lastIndexOf('/') + 1);
    return vaults.open(vaultLocation, null, job.getString("encryptionKeyArn")).compose(opened -> new LocalVolumeJobs(opened.repo(), board, blocking, lvm, opener,
            gatewayName, volumes, 1).backup(name, job.getString("jobId", java.util.UUID.randomUUID().toString()))
        .map(r -> new JsonObject().put("backupSizeInBytes", r.sourceBytes()).put("restoreMetadata", new JsonObject()
            .put("vaultgate:localVolume", name)
            .put("vaultgate:recoveryPointId", r.recoveryPointId())
            .put("vaultgate:bytesRead", String.valueOf(r.bytesRead()))
            .put("vaultgate:bytesNew", String.valueOf(r.bytesNew()))))
        .eventually(() -> {
          opened.close();
          return Future.succeededFuture();
        }));
  }
}
