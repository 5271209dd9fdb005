package dev.vaultgate.coordinator.backup;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.testing.TestCoordinator;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Leases and windows with the time given explicitly: a lease that expires puts its job back
 * while the start window is open and fails it after; an unstarted job expires; a job running past
 * its completion window is aborted. Each test uses its own account (its own queue).
 */
class JobLeaseStoreTest {

  static final Instant T0 = Instant.parse("2031-03-01T00:00:00Z");
  static final Duration LEASE = Duration.ofMinutes(5);
  static TestCoordinator env;
  static JobLeaseStore leases;
  static BackupJobStore jobs;
  static RecoveryPointStore points;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    leases = new PgJobLeaseStore(env.coordinator.pool());
    jobs = new PgBackupJobStore(env.coordinator.pool());
    points = new PgRecoveryPointStore(env.coordinator.pool());
  }

  /** A job created at {@code T0} with a start window of {@code startMinutes}, in a fresh account. */
  static BackupJob job(long startMinutes, long completeMinutes) {
    String account = env.newAccount().accountId();
    String id = UUID.randomUUID().toString().toUpperCase(Locale.ROOT);
    return await(jobs.create(new BackupJob(id, account, "v", "arn:aws:backup:us-east-1:" + account + ":backup-vault:v",
        "arn:aws:backup:us-east-1:" + account + ":recovery-point:" + id,
        "arn:aws:backup-gateway:us-east-1:" + account + ":vm/vm-1", "VirtualMachine", "role", "CREATED", null, "0.0",
        null, null, T0, T0.plus(Duration.ofMinutes(startMinutes)), completeMinutes, null, null, null, null, null, null,
        null)));
  }

  static BackupJob reread(BackupJob j) {
    return await(jobs.find(j.accountId(), j.jobId()));
  }

  /** The lease error a store call failed with. */
  static LeaseException refused(org.junit.jupiter.api.function.Executable call) {
    IllegalStateException e = assertThrows(IllegalStateException.class, call);
    return assertInstanceOf(LeaseException.class, e.getCause());
  }

  static Instant at(long minutes) {
    return T0.plus(minutes, ChronoUnit.MINUTES);
  }

  @Test
  void aLeaseStartsTheJobAndItsCompletionWindow() {
    BackupJob j = job(60, 120);
    JobLeaseStore.Lease lease = await(leases.lease(j.accountId(), "sgw-A", at(10), LEASE));
    assertEquals(j.jobId(), lease.job().jobId());
    assertEquals("RUNNING", lease.job().state());
    assertEquals(at(10).plus(LEASE), lease.expiresAt());
    assertEquals(at(130), lease.job().completeBy());
    assertNull(await(leases.lease(j.accountId(), "sgw-B", at(11), LEASE)), "one job, leased once");
  }

  @Test
  void anExpiredLeaseWithinTheStartWindowPutsTheJobBackForAnotherGateway() {
    BackupJob j = job(60, 120);
    await(leases.lease(j.accountId(), "sgw-A", at(10), LEASE));
    assertEquals(0, await(leases.sweep(at(14))).requeued(), "the lease still runs");
    await(leases.sweep(at(16)));
    BackupJob pending = reread(j);
    assertEquals("PENDING", pending.state());
    assertTrue(pending.statusMessage().contains("sgw-A"), pending.statusMessage());
    LeaseException lost = refused(() -> await(leases.progress(j.accountId(), "sgw-A", j.jobId(), "50.0", 1L, at(17), LEASE)));
    assertEquals(LeaseException.Reason.NOT_HELD, lost.reason());

    JobLeaseStore.Lease again = await(leases.lease(j.accountId(), "sgw-B", at(20), LEASE));
    assertEquals(j.jobId(), again.job().jobId());
    assertEquals(at(130), again.job().completeBy(), "the completion window counts from the first start");
  }

  @Test
  void progressRenewsTheLease() {
    BackupJob j = job(60, 120);
    await(leases.lease(j.accountId(), "sgw-A", at(10), LEASE));
    JobLeaseStore.Lease renewed = await(leases.progress(j.accountId(), "sgw-A", j.jobId(), "10.0", 5L, at(14), LEASE));
    assertEquals(at(14).plus(LEASE), renewed.expiresAt());
    await(leases.sweep(at(16)));
    assertEquals("RUNNING", reread(j).state());
    assertEquals("10.0", reread(j).percentDone());
  }

  @Test
  void anExpiredLeaseAfterTheStartWindowFailsTheJob() {
    BackupJob j = job(60, 120);
    await(leases.lease(j.accountId(), "sgw-A", at(58), LEASE));
    JobLeaseStore.Sweep sweep = await(leases.sweep(at(64)));
    assertTrue(sweep.failed() >= 1);
    BackupJob failed = reread(j);
    assertEquals("FAILED", failed.state());
    assertEquals(at(64), failed.completedAt());
    assertTrue(failed.statusMessage().contains("expired after the start window closed"), failed.statusMessage());
  }

  @Test
  void aJobNoGatewayStartsWithinItsStartWindowExpires() {
    BackupJob j = job(60, 120);
    assertNull(await(leases.lease(j.accountId(), "sgw-A", at(60), LEASE)), "a closed start window is not leased");
    await(leases.sweep(at(61)));
    BackupJob expired = reread(j);
    assertEquals("EXPIRED", expired.state());
    assertTrue(expired.statusMessage().contains("2031-03-01T01:00:00Z"), expired.statusMessage());
  }

  @Test
  void aJobStillRunningAtTheEndOfItsCompletionWindowIsAborted() {
    BackupJob j = job(60, 60);
    await(leases.lease(j.accountId(), "sgw-A", at(10), Duration.ofMinutes(60)));
    await(leases.progress(j.accountId(), "sgw-A", j.jobId(), "90.0", 5L, at(65), Duration.ofMinutes(60)));
    LeaseException late = refused(() -> await(leases.progress(j.accountId(), "sgw-A", j.jobId(), "95.0", 6L, at(70), LEASE)));
    assertEquals(LeaseException.Reason.WINDOW_PASSED, late.reason());
    await(leases.sweep(at(71)));
    BackupJob aborted = reread(j);
    assertEquals("ABORTED", aborted.state());
    assertTrue(aborted.statusMessage().contains("completion window (60 minutes)"), aborted.statusMessage());
  }

  @Test
  void aSweepChangesNothingTheSecondTime() {
    BackupJob j = job(60, 120);
    await(leases.lease(j.accountId(), "sgw-A", at(10), LEASE));
    await(leases.sweep(at(20)));
    assertEquals("PENDING", reread(j).state());
    BackupJob again = reread(j);
    await(leases.sweep(at(20)));
    assertEquals(again, reread(j));
  }

  @Test
  void aCompletionByAGatewayThatDoesNotHoldTheLeaseChangesNothing() {
    BackupJob j = job(60, 120);
    await(leases.lease(j.accountId(), "sgw-A", at(10), LEASE));
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> await(points.completeBackup(j.accountId(), j.jobId(), 1, Map.of(), at(11),
            (job, owner) -> JobLeaseStore.checkHolder(job, owner, "sgw-B", at(11)))));
    assertInstanceOf(LeaseException.class, refused.getCause());
    assertEquals("RUNNING", reread(j).state());
    assertNotNull(await(leases.progress(j.accountId(), "sgw-A", j.jobId(), "1.0", 1L, at(12), LEASE)));
  }
}
