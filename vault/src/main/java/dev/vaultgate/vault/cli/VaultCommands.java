package dev.vaultgate.vault.cli;

import dev.vaultgate.vault.backup.Progress;
import dev.vaultgate.vault.crypto.KeyWrapper;
import dev.vaultgate.vault.crypto.KmsKeyWrapper;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.format.IndexEntry;
import dev.vaultgate.vault.maintenance.CheckReport;
import dev.vaultgate.vault.maintenance.GarbageCollector;
import dev.vaultgate.vault.maintenance.GcReport;
import dev.vaultgate.vault.maintenance.ReferenceLists;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.repo.IndexRepair;
import dev.vaultgate.vault.repo.KeyGeneration;
import dev.vaultgate.vault.repo.Repository;
import dev.vaultgate.vault.repo.RetentionLock;
import dev.vaultgate.vault.repo.VaultLock;
import dev.vaultgate.vault.repo.VaultSettings;
import dev.vaultgate.vault.storage.RetentionMode;
import dev.vaultgate.vault.storage.VaultLocation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** {@code vaultgate vault init|check|repair-index|gc|cold|rekey|keys}. */
@Command(name = "vault", mixinStandardHelpOptions = true,
    description = "Create, check, repair and clean a vault; move points to cold storage; rotate and list its data keys.",
    subcommands = {VaultCommands.Init.class, VaultCommands.Check.class, VaultCommands.RepairIndex.class, VaultCommands.Gc.class,
        VaultCommands.Cold.class, VaultCommands.Rekey.class, VaultCommands.Keys.class})
final class VaultCommands {

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create a vault in an empty (or missing: it is created) directory, or an existing bucket; creates the master key file when it does not exist.")
  static final class Init implements Callable<Integer> {
    @Mixin
    VaultOptions vault;

    @Option(names = "--block-size", paramLabel = "BYTES", description = "Block size, a power of two from 4096 to 4194304 (default ${DEFAULT-VALUE}).")
    int blockSize = VaultSettings.DEFAULT_BLOCK_SIZE;

    @Option(names = "--pack-size", paramLabel = "BYTES", description = "Target pack size (default ${DEFAULT-VALUE}).")
    int packSize = VaultSettings.DEFAULT_PACK_BYTES;

    @Option(names = "--lock-mode", paramLabel = "MODE",
        description = "Lock the vault: every recovery point and all it needs is written with S3 Object Lock retention in"
            + " this mode, GOVERNANCE or COMPLIANCE. Needs an S3 bucket created with Object Lock enabled.")
    String lockMode;

    @Option(names = "--min-retention", paramLabel = "DURATION",
        description = "With --lock-mode: the shortest retention of a recovery point, and the default (e.g. 7d; default ${DEFAULT-VALUE}).")
    String minRetention = "1d";

    @Option(names = "--max-retention", paramLabel = "DURATION",
        description = "With --lock-mode: the longest retention a recovery point may ask for (e.g. 3650d; default ${DEFAULT-VALUE}).")
    String maxRetention = "36500d";

    @Option(names = "--kms-key", paramLabel = "ARN|ALIAS",
        description = "Wrap the vault's keys with this KMS key (key id, key ARN, alias/name) instead of the master key"
            + " file; the KMS is --kms-endpoint (default: AWS KMS of --kms-region).")
    String kmsKey;

    @Option(names = "--json", description = "Print a JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      VaultSettings settings = new VaultSettings(blockSize, packSize);
      if (lockMode != null) {
        settings = settings.withLock(new RetentionLock(RetentionMode.parse(lockMode),
            Durations.parse("--min-retention", minRetention), Durations.parse("--max-retention", maxRetention)));
      }
      VaultSettings chosen = settings;
      vault.location();
      // a KMS key is checked (exists, enabled) here, before the storage is touched
      KeyWrapper key = kmsKey == null ? LocalKeyWrapper.loadOrCreate(vault.masterKeyPath())
          : KmsKeyWrapper.forKey(vault.kmsClient(vault.kmsEndpoint()), true, kmsKey,
              vault.kmsEndpoint() == null ? "AWS KMS" : vault.kmsEndpoint());
      if (vault.location() instanceof VaultLocation.FileLocation file) {
        createDirectory(file.directory()); // as restic init does; a bucket must exist (its settings are the owner's)
      }
      String id;
      try {
        id = vault.withStorage(ctx -> Repository.init(ctx.vertx(), ctx.storage(), key, chosen).map(repo -> {
          repo.close();
          return repo.config().vaultId();
        }));
      } finally {
        if (key instanceof KmsKeyWrapper kms) kms.close();
      }
      String wrappedBy = kmsKey == null ? "master key " + vault.masterKeyPath() : "KMS key " + key.keyId();
      if (json) {
        System.out.println(new JsonObject().put("vaultId", id).put("vault", vault.vault).put("blockSize", blockSize)
            .put(kmsKey == null ? "masterKey" : "kmsKey", kmsKey == null ? vault.masterKeyPath().toString() : key.keyId())
            .put("lockMode", chosen.locked() ? chosen.lock().mode().name() : null).encode());
      } else {
        System.out.println("created vault " + id + " at " + vault.vault + " (block size " + blockSize + ", " + wrappedBy
            + (chosen.locked() ? ", " + chosen.lock() : "") + ")");
      }
      return 0;
    }
    private static void createDirectory(Path directory) {
      try {
        Files.createDirectories(directory);
      } catch (IOException e) {
        String why = e instanceof AccessDeniedException ? "permission denied"
            : e instanceof FileAlreadyExistsException ? "it is a file"
            : e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
        throw new IllegalArgumentException("cannot create vault directory " + directory + ": " + why);
      }
    }
  }

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = "Check that every recovery point can be restored: structure, and with --read-data every byte.")
  static final class Check implements Callable<Integer> {
    @Mixin
    VaultOptions vault;

    @Option(names = "--read-data", description = "Read every pack and authenticate every chunk.")
    boolean readData;

    @Option(names = "--repair-index", description = "First index the packs no index segment names (left by a backup that"
        + " died before naming its last packs) whose headers verify, and forget the indexed packs that are missing; as"
        + " 'vault repair-index'. With --read-data, also forget afterwards the chunks found damaged (each read once more"
        + " first), recorded in index/<id>.damaged: the next backup stores again those its source still holds.")
    boolean repairIndex;

    @Option(names = "--no-lock", description = "Take no vault lock (credentials that can only read the vault); a gc"
        + " running meanwhile can make what it moves be reported missing.")
    boolean noLock;

    @Option(names = "--json", description = "Print a JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      if (noLock && repairIndex) {
        throw new IllegalArgumentException("--repair-index writes index segments under a vault lock: not with --no-lock");
      }
      int[] forgotten = {0};
      CheckReport r = vault.withRepository(repo -> (repairIndex
          ? RepairIndex.repair(repo, "check --repair-index").map(RepairIndex::print) : Future.succeededFuture())
          .compose(v -> {
            Progress progress = readData ? ProgressBar.forStderr("check") : Progress.NONE;
            return noLock ? VaultChecker.checkWithoutLock(repo, readData, progress) : VaultChecker.check(repo, readData, progress);
          })
          .compose(report -> !repairIndex || report.damagedChunks().isEmpty() ? Future.succeededFuture(report)
              : forgetDamaged(repo, report.damagedChunks()).map(n -> {
                forgotten[0] = n;
                return report;
              })));
      for (String w : r.warnings()) {
        System.err.println("warning: " + w);
      }
      for (String e : r.errors()) {
        System.err.println("error: " + e);
      }
      if (forgotten[0] > 0) {
        System.err.println("warning: " + forgotten[0] + " damaged chunk(s) forgotten (recorded in index/<id>.damaged): the"
            + " next backup stores again those its source still holds");
      }
      if (json) {
        System.out.println(new JsonObject().put("ok", r.ok()).put("points", r.points()).put("packs", r.packs())
            .put("chunks", r.indexedChunks()).put("bytesVerified", r.bytesVerified())
            .put("errors", new JsonArray(r.errors())).put("warnings", new JsonArray(r.warnings()))
            .put("damagedChunks", r.damagedChunks().size()).put("damagedChunksForgotten", forgotten[0]).encode());
      } else {
        System.out.println((r.ok() ? "no errors" : r.errors().size() + " errors") + ": " + r.points() + " recovery points, "
            + r.packs() + " packs, " + r.indexedChunks() + " chunks" + (readData ? ", " + Units.bytes(r.bytesVerified()) + " read and verified" : ""));
      }
      return r.ok() ? 0 : 1;
    }
  }

  /**
   * Forgets the chunks a check found damaged, under a shared vault lock with the index brought up to date; the points'
   * reference lists then name the segments written instead of those replaced. Answers the chunks forgotten.
   */
  private static Future<Integer> forgetDamaged(Repository repo, List<IndexEntry> damaged) {
    return VaultLock.shared(repo, "check --repair-index").compose(lock -> repo.refreshIndex()
        .compose(v -> repo.forgetDamagedChunks(damaged))
        .compose(n -> n == 0 ? Future.succeededFuture(0) : ReferenceLists.refreshAll(repo).map(n))
        .eventually(lock::release));
  }

  @Command(name = "repair-index", mixinStandardHelpOptions = true,
      description = {"Index the packs no index segment names: a backup that died before writing the segment naming its"
          + " last packs leaves them. Each orphan's header is read and authenticated; one that does not verify is left for gc.",
          "Forget the packs index segments name that are missing (deleted by hand, lost by the storage): the index stops"
          + " naming their chunks (recorded in index/<id>.lost), so the next backup stores again those its source still"
          + " holds, and the older points that need them are whole again.",
          "Every backup and copy does this first; this command does it alone (e.g. before a check)."})
  static final class RepairIndex implements Callable<Integer> {
    @Mixin
    VaultOptions vault;

    @Option(names = "--json", description = "Print a JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      IndexRepair.Report r = vault.withRepository(repo -> repair(repo, "repair-index"));
      print(r);
      if (json) {
        System.out.println(new JsonObject().put("packs", r.packsListed()).put("orphans", r.orphans())
            .put("packsAdopted", r.packsAdopted()).put("chunksAdopted", r.chunksAdopted())
            .put("refused", new JsonArray(r.refused())).put("packsLost", new JsonArray(r.packsLost()))
            .put("chunksLost", r.chunksLost()).encode());
      } else {
        System.out.println("repair-index: " + r.packsListed() + " packs, " + r.orphans() + " not indexed; " + r.packsAdopted()
            + " adopted (" + r.chunksAdopted() + " chunks), " + r.refused().size() + " refused (left for gc); "
            + r.packsLost().size() + " missing, forgotten (" + r.chunksLost() + " chunks)");
      }
      return 0;
    }

    /**
     * Adopts orphan packs and forgets lost ones; the points' reference lists then name the index segments written for
     * them instead of those replaced.
     */
    static Future<IndexRepair.Report> repair(Repository repo, String purpose) {
      // One shared lock for both: a gc must not delete what the lists are about to name.
      return VaultLock.shared(repo, purpose).compose(lock -> repo.refreshIndex().compose(v -> IndexRepair.repair(repo))
          .compose(r -> r.packsAdopted() == 0 && r.packsLost().isEmpty() ? Future.succeededFuture(r)
              : ReferenceLists.refreshAll(repo).map(r))
          .eventually(lock::release));
    }

    /** Each refused orphan and each lost pack as a warning on stderr. */
    static Void print(IndexRepair.Report r) {
      for (String refused : r.refused()) {
        System.err.println("warning: not adopted: " + refused);
      }
      for (String lost : r.packsLost()) {
        System.err.println("warning: pack " + lost + " is missing: the index no longer names its chunks");
      }
      return null;
    }
  }

  @Command(name = "gc", mixinStandardHelpOptions = true,
      description = "Delete or repack what no recovery point references; refused while a backup holds the vault.")
  static final class Gc implements Callable<Integer> {
    @Mixin
    VaultOptions vault;

    @Option(names = "--json", description = "Print a JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      GcReport r = vault.withRepositoryWithoutIndex(repo -> GarbageCollector.collect(repo, ProgressBar.forStderr("gc")));
      if (json) {
        System.out.println(new JsonObject().put("packsDeleted", r.packsDeleted()).put("packsRepacked", r.packsRepacked())
            .put("packsKept", r.packsKept()).put("bytesFreed", r.bytesFreed()).put("chunksRemoved", r.chunksRemoved())
            .put("indexSegmentsReplaced", r.indexSegmentsReplaced()).put("packsRetained", r.packsRetained()).encode());
      } else {
        System.out.println("gc: " + r.packsDeleted() + " packs deleted, " + r.packsRepacked() + " repacked, " + r.packsKept()
            + " kept; " + Units.bytes(r.bytesFreed()) + " freed; " + r.chunksRemoved() + " chunks removed"
            + (r.indexSegmentsReplaced() > 0 ? "; " + r.indexSegmentsReplaced() + " index segments rewritten" : "")
            + (r.packsRetained() > 0 ? "; " + r.packsRetained() + " packs left as they are while Object Lock retains them" : ""));
      }
      return 0;
    }
  }

  @Command(name = "cold", mixinStandardHelpOptions = true,
      description = "Move the data of recovery points to a colder storage class: a pack moves when every point that"
          + " needs it is among those given (or older than --older-than).")
  static final class Cold implements Callable<Integer> {
    @Mixin
    VaultOptions vault;

    @Option(names = "--storage-class", paramLabel = "CLASS", required = true,
        description = "S3 storage class to move to: GLACIER_IR, GLACIER, DEEP_ARCHIVE, or a Ceph placement class (COLD).")
    String storageClass;

    @Option(names = "--recovery-point", paramLabel = "ID", description = "A point to move (repeatable).")
    List<String> points = new ArrayList<>();

    @Option(names = "--older-than", paramLabel = "DURATION", description = "Every point made longer ago than this (90d, 12h).")
    String olderThan;

    @Option(names = "--json", description = "Print a JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      if (points.isEmpty() && olderThan == null) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "vault cold: give --recovery-point ID (repeatable) or --older-than DURATION");
      }
      Instant before = olderThan == null ? null : Instant.now().minus(Durations.parse("--older-than", olderThan));
      dev.vaultgate.vault.cold.ColdStorage.Report r = vault.withRepository(repo -> repo.listPoints().compose(ids -> {
        Set<String> cold = new TreeSet<>(points);
        for (String id : ids) {
          // Point ids begin with their creation time in ms (48 bits).
          if (before != null && Long.parseLong(id.substring(0, 12), 16) < before.toEpochMilli()) {
            cold.add(id);
          }
        }
        return dev.vaultgate.vault.cold.ColdStorage.move(repo, cold, storageClass);
      }));
      if (json) {
        System.out.println(new JsonObject().put("storageClass", r.storageClass()).put("packsMoved", r.moved())
            .put("packsAlreadyCold", r.alreadyCold()).put("packsKeptWarm", r.keptWarm()).encode());
      } else {
        System.out.println("cold: " + r.moved() + " packs moved to " + r.storageClass() + ", " + r.alreadyCold()
            + " already there, " + r.keptWarm() + " kept warm for points that are not cold");
      }
      return 0;
    }
  }

  @Command(name = "rekey", mixinStandardHelpOptions = true,
      description = {"Rotate the vault's data key: add a new data-key generation (a random AES-256 key wrapped by the"
          + " vault's master key file, or made by KMS GenerateDataKey under the KMS key's newest material) as a new object"
          + " keys/<id>. New packs, index segments and recovery points are sealed with it; older ones stay readable with"
          + " their own generation. Nothing is rewritten (config neither: a locked vault's is retained). Chunk ids do not"
          + " change, so dedup against older points keeps working."})
  static final class Rekey implements Callable<Integer> {
    @Mixin
    VaultOptions vault;

    @Option(names = "--kms-key", paramLabel = "ARN|ALIAS",
        description = "For a KMS vault: the KMS key that makes and wraps the new data key (default: the one that wraps"
            + " the vault's config). Needs --kms-endpoint or $VAULTGATE_KMS_ENDPOINT.")
    String kmsKey;

    @Option(names = "--json", description = "Print a JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      String endpoint = vault.kmsEndpoint();
      if (kmsKey != null && endpoint == null) {
        throw new IllegalArgumentException("vault rekey --kms-key " + kmsKey + ": give --kms-endpoint (or $VAULTGATE_KMS_ENDPOINT)"
            + " as well: the vault must open with KMS to be rekeyed with it");
      }
      KeyGeneration made = vault.withRepository(repo -> {
        if (endpoint == null) {
          return repo.rekey(vault.loadKey());
        }
        String arn = kmsKey != null ? kmsKey : repo.keyGenerations().get(0).keyId();
        // forKey asks KMS (DescribeKey) and blocks: on the vault's worker, never on the event loop
        return repo.onCpu(() -> KmsKeyWrapper.forKey(vault.kmsClient(endpoint), true, arn, endpoint))
            .compose(wrapper -> repo.rekey(wrapper).eventually(() -> {
              wrapper.close();
              return Future.succeededFuture();
            }));
      });
      if (json) {
        System.out.println(generationJson(made).encode());
      } else {
        System.out.println("added data-key generation " + made.id() + " at " + Instant.ofEpochMilli(made.createdAtMillis())
            + " (" + made.scheme() + " key " + made.keyId() + "); new points of " + vault.vault + " are sealed with it");
      }
      return 0;
    }
  }

  @Command(name = "keys", mixinStandardHelpOptions = true,
      description = "List the vault's data-key generations, oldest first; the last one seals what is written now.")
  static final class Keys implements Callable<Integer> {
    @Mixin
    VaultOptions vault;

    @Option(names = "--json", description = "Print a JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      List<KeyGeneration> all = vault.withRepositoryWithoutIndex(repo -> Future.succeededFuture(repo.keyGenerations()));
      if (json) {
        JsonArray list = new JsonArray();
        all.forEach(g -> list.add(generationJson(g)));
        System.out.println(new JsonObject().put("vault", vault.vault).put("current", all.get(all.size() - 1).id())
            .put("generations", list).encode());
      } else {
        System.out.printf("%-34s %-24s %-6s %s%n", "GENERATION", "CREATED", "SCHEME", "WRAPPED BY");
        for (int i = 0; i < all.size(); i++) {
          KeyGeneration g = all.get(i);
          System.out.printf("%-34s %-24s %-6s %s%s%n", g.label(), Instant.ofEpochMilli(g.createdAtMillis()), g.scheme(),
              g.keyId(), i == all.size() - 1 ? "  (current)" : "");
        }
      }
      return 0;
    }
  }

  static JsonObject generationJson(KeyGeneration g) {
    return new JsonObject().put("id", g.id()).put("object", g.objectKey())
        .put("created", Instant.ofEpochMilli(g.createdAtMillis()).toString())
        .put("scheme", g.scheme()).put("keyId", g.keyId())
        .put("kmsRotation", g.kmsRotationMillis() == null ? null : Instant.ofEpochMilli(g.kmsRotationMillis()).toString());
  }
}
