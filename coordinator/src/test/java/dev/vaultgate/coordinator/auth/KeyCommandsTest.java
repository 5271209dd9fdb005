package dev.vaultgate.coordinator.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.CoordinatorMain;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.services.backup.BackupClient;

/** {@code scripts/coordinator keys create} against the running test coordinator's database. */
class KeyCommandsTest {

  record Run(int code, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new CoordinatorMain());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return new Run(cli.execute(args), out.toString(), err.toString());
  }

  @Test
  void aKeyCreatedForANewAccountDrivesTheApiAndSeesOnlyThatAccount(@TempDir Path dir) throws Exception {
    TestCoordinator env = TestCoordinator.get();
    String account = String.valueOf(100_000_000_000L + (System.nanoTime() % 800_000_000_000L));
    Path file = dir.resolve("team-credentials");
    Run run = cli("keys", "create", "--account", account, "--output", file.toString(),
        "--database", env.coordinator.embeddedDatabaseUrl().orElseThrow());
    assertEquals(0, run.code(), run.err());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    Optional<AccessKey> key = AdminCredentials.read(file, account);
    assertTrue(key.isPresent(), Files.readString(file));
    String vault = TestCoordinator.unique("team");
    try (BackupClient team = TestCoordinator.client(env.endpoint(), key.get())) {
      team.createBackupVault(r -> r.backupVaultName(vault));
      assertTrue(team.describeBackupVault(r -> r.backupVaultName(vault)).backupVaultArn().contains(":" + account + ":"));
    }
    try (BackupClient admin = env.client()) {
      assertTrue(admin.listBackupVaults(r -> { }).backupVaultList().stream().noneMatch(v -> v.backupVaultName().equals(vault)),
          "another account's key does not see the team's vault");
    }
  }

  @Test
  void aBadAccountIsAOneLineError() {
    Run run = cli("keys", "create", "--account", "12ab", "--database", "postgresql://nobody@127.0.0.1:1/x");
    assertEquals(2, run.code());
    assertEquals("coordinator keys create: --account 12ab: expected 12 digits\n", run.err());
  }
}
