package dev.vaultgate.vault.repo;

import dev.vaultgate.vault.Await;
import dev.vaultgate.vault.crypto.LocalKeyWrapper;
import dev.vaultgate.vault.maintenance.GarbageCollector;
import dev.vaultgate.vault.maintenance.VaultChecker;
import dev.vaultgate.vault.backup.Progress;
import dev.vaultgate.vault.storage.FileVaultStorage;
import dev.vaultgate.vault.storage.VaultStorage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Vault locks on a real directory vault: gc and backups exclude each other; dead holders do not block forever. */
class VaultLockTest {
  @TempDir
  Path tmp;
  private final Vertx vertx = Vertx.vertx();
  private VaultStorage storage;
  private Repository repo;

  @BeforeEach
  void setUp() throws Exception {
    Files.createDirectories(tmp.resolve("vault"));
    storage = new FileVaultStorage(vertx, tmp.resolve("vault"));
    LocalKeyWrapper key = LocalKeyWrapper.create(tmp.resolve("key"));
    repo = await(() -> Repository.init(vertx, storage, key, VaultSettings.defaults()));
  }

  @AfterEach
  void tearDown() {
    repo.close();
    storage.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private <T> T await(Supplier<Future<T>> work) {
    return Await.await(vertx, work, Duration.ofSeconds(30));
  }

  private long lockObjects() {
    return await(() -> storage.list(VaultLock.PREFIX)).size();
  }

  @Test
  void gcRefusesWhileABackupHoldsTheVault() {
    VaultLock backup = await(() -> VaultLock.shared(repo, "backup of /dev/sda"));
    VaultException e = assertThrows(VaultException.class, () -> await(() -> GarbageCollector.collect(repo)));
    assertTrue(e.getMessage().contains("locked by backup of /dev/sda"), e.getMessage());
    assertTrue(e instanceof VaultBusyException, "a busy vault is told apart from other failures: " + e);
    assertEquals(1, lockObjects(), "gc took its lock back");
    await(backup::release);
    await(() -> GarbageCollector.collect(repo));
    assertEquals(0, lockObjects());
  }

  @Test
  void checkAndGcExcludeEachOtherUnlessTheCheckTakesNoLock() {
    VaultLock gc = await(() -> VaultLock.exclusive(repo, "gc"));
    VaultException e = assertThrows(VaultException.class, () -> await(() -> VaultChecker.check(repo, true)));
    assertTrue(e instanceof VaultBusyException && e.getMessage().contains("locked by gc"), e.toString());
    assertTrue(await(() -> VaultChecker.checkWithoutLock(repo, true, Progress.NONE)).ok(), "read-only credentials can still check");
    await(gc::release);

    VaultLock check = await(() -> VaultLock.shared(repo, "check"));
    VaultException refused = assertThrows(VaultException.class, () -> await(() -> GarbageCollector.collect(repo)));
    assertTrue(refused.getMessage().contains("locked by check"), refused.getMessage());
    await(check::release);
    assertTrue(await(() -> VaultChecker.check(repo, false)).ok());
    assertEquals(0, lockObjects(), "the check let its lock go");
  }

  @Test
  void backupRefusesWhileGcHoldsTheVaultButBackupsShare() {
    VaultLock first = await(() -> VaultLock.shared(repo, "backup one"));
    VaultLock second = await(() -> VaultLock.shared(repo, "backup two"));
    await(first::release);
    await(second::release);
    VaultLock gc = await(() -> VaultLock.exclusive(repo, "gc"));
    VaultException e = assertThrows(VaultException.class, () -> await(() -> VaultLock.shared(repo, "backup three")));
    assertTrue(e.getMessage().contains("locked by gc") && e.getMessage().contains("locks/"), e.getMessage());
    assertTrue(e instanceof VaultBusyException, e.toString());
    await(gc::release);
    assertEquals(0, lockObjects());
  }

  /** Writes an exclusive lock ("gc") as another process would have, refreshed at {@code time}. */
  private void putGcLock(String host, long pid, String started, Instant time) {
    putGcLock(host, VaultLock.MACHINE, pid, started, time);
  }

  private void putGcLock(String host, String machine, long pid, String started, Instant time) {
    String id = "0".repeat(32);
    byte[] plain = new JsonObject().put("exclusive", true).put("purpose", "gc").put("host", host).put("machine", machine)
        .put("pid", pid).put("started", started).put("time", time.toString()).encode().getBytes(StandardCharsets.UTF_8);
    byte[] sealed = repo.keys().seal(plain, 0, plain.length, ("lock " + id).getBytes(StandardCharsets.US_ASCII));
    await(() -> storage.put(VaultLock.PREFIX + id, sealed));
  }

  private void assertBackupRefused() {
    VaultException e = assertThrows(VaultException.class, () -> await(() -> VaultLock.shared(repo, "backup")));
    assertTrue(e instanceof VaultBusyException && e.getMessage().contains("locked by gc"), e.toString());
  }

  private void assertBackupProceeds() {
    VaultLock lock = await(() -> VaultLock.shared(repo, "backup after a crash"));
    await(lock::release);
    assertEquals(0, lockObjects(), "the dead lock was cleared as it was found");
  }

  @Test
  void aLockNotRefreshedForLongBelongsToADeadProcessAndIsIgnored() {
    putGcLock("gone", 1, null, Instant.now().minus(VaultLock.STALE).minusSeconds(60));
    assertBackupProceeds();
  }

  @Test
  void aFreshLockOfAProcessOfThisHostThatIsGoneIsIgnoredAtOnceButNotOneOfALiveProcessOrAnotherHost() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    long me = ProcessHandle.current().pid();

    putGcLock(VaultLock.HOST, gone.pid(), null, Instant.now()); // killed or crashed: its pid runs nothing
    assertBackupProceeds();
    putGcLock(VaultLock.HOST, me, VaultLock.STARTED, Instant.now()); // alive
    assertBackupRefused();
    putGcLock(VaultLock.HOST, me, null, Instant.now()); // alive, written before locks recorded the start
    assertBackupRefused();
    putGcLock("another-host", gone.pid(), null, Instant.now()); // its processes cannot be seen from here
    assertBackupRefused();
    // this host name, but another process namespace (a container with host networking) or boot: its ids are not ours
    putGcLock(VaultLock.HOST, "another-boot pid:[1]", gone.pid(), null, Instant.now());
    assertBackupRefused();
    putGcLock(VaultLock.HOST, null, gone.pid(), null, Instant.now()); // written before locks recorded where
    assertBackupRefused();
    // the pid now runs another process than the one that took the lock (started an hour later)
    putGcLock(VaultLock.HOST, me, Instant.parse(VaultLock.STARTED).minusSeconds(3600).toString(), Instant.now());
    assertBackupProceeds();
  }
}
