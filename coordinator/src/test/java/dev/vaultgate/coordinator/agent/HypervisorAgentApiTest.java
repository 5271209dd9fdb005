package dev.vaultgate.coordinator.agent;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.gateway.Hypervisor;
import dev.vaultgate.coordinator.gateway.PgGatewayAdminStore;
import dev.vaultgate.coordinator.gateway.PgHypervisorStore;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.DescribeBackupJobResponse;

/**
 * The agent API's side of the backup-gateway API, over real HTTP on the embedded database: what a
 * heartbeat hands a gateway (its hypervisors with passwords opened, metadata syncs, configuration
 * tests, bandwidth schedule, maintenance time), what the gateway reports back (hypervisor state,
 * test results, VMware details with its inventory), vCenter-triggered backups, and where vault
 * data lives. The hypervisors and schedules are set up through the stores the backup-gateway API
 * uses. Each test works in a fresh account.
 */
class HypervisorAgentApiTest {

  static TestCoordinator env;
  static PgHypervisorStore hypervisors;
  static PgGatewayAdminStore gateways;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    hypervisors = env.coordinator.hypervisors();
    gateways = new PgGatewayAdminStore(env.coordinator.pool());
  }

  /** A fresh account with a registered gateway. */
  record Site(AccessKey key, AgentClient gateway) {
    String gatewayArn() {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":gateway/" + gateway.gatewayId;
    }

    String vmArn(String vm) {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":vm/" + vm;
    }

    String hypervisorArn(String id) {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":hypervisor/" + id;
    }

    /** A hypervisor of the account, associated with this site's gateway. */
    Hypervisor hypervisor(String password) {
      String id = "hype-" + unique("h").substring(2).toUpperCase();
      Hypervisor h = await(hypervisors.create(id, key.accountId(), hypervisorArn(id), "vcenter", "vc.example.com",
          "administrator@vsphere.local", password, null, Instant.now()));
      assertTrue(await(gateways.associate(key.accountId(), gatewayArn(), id)));
      return h;
    }

    Reply heartbeat() {
      Reply r = gateway.post("/heartbeat", new JsonObject());
      assertEquals(200, r.status(), r.body().encode());
      return r;
    }
  }

  static Site site() {
    AccessKey key = env.newAccount();
    return new Site(key, AgentClient.register(env.endpoint(), key, "site"));
  }

  @Test
  void aHeartbeatWithNothingSetAnswersEmptyListsAndNoMaintenanceTime() {
    JsonObject beat = site().heartbeat().body();
    assertEquals(new JsonArray(), beat.getJsonArray("hypervisors"));
    assertEquals(new JsonArray(), beat.getJsonArray("syncHypervisors"));
    assertEquals(new JsonArray(), beat.getJsonArray("hypervisorTests"));
    assertEquals(new JsonArray(), beat.getJsonArray("bandwidthRateLimitIntervals"));
    assertFalse(beat.containsKey("maintenanceStartTime"));
  }

  @Test
  void aHeartbeatHandsTheGatewayItsHypervisorWithThePasswordThatIsStoredOnlySealed() {
    Site s = site();
    Hypervisor h = s.hypervisor("s3cret-Passw0rd");
    JsonArray list = s.heartbeat().body().getJsonArray("hypervisors");
    assertEquals(1, list.size());
    JsonObject got = list.getJsonObject(0);
    assertEquals(h.arn(), got.getString("hypervisorArn"));
    assertEquals("vcenter", got.getString("name"));
    assertEquals("vc.example.com", got.getString("host"));
    assertEquals("administrator@vsphere.local", got.getString("username"));
    assertEquals("s3cret-Passw0rd", got.getString("password"));

    Row row = await(env.coordinator.pool().preparedQuery("SELECT password_sealed FROM hypervisors WHERE arn = $1")
        .execute(Tuple.of(h.arn()))).iterator().next();
    String stored = new String(row.getBuffer(0).getBytes(), StandardCharsets.ISO_8859_1);
    assertFalse(stored.contains("s3cret"), "the password is not in the database in the clear");

    AgentClient other = AgentClient.register(env.endpoint(), s.key(), "other-site");
    assertEquals(new JsonArray(), other.post("/heartbeat", new JsonObject()).body().getJsonArray("hypervisors"),
        "a gateway not associated with the hypervisor does not get its credentials");
  }

  @Test
  void aMetadataSyncRequestIsHandedOverOnceAndCompletedByAnInventoryWithMetadataSyncedAt() {
    Site s = site();
    Hypervisor h = s.hypervisor("pw");
    assertTrue(await(hypervisors.requestSync(s.key().accountId(), h.arn())));
    assertEquals(new JsonArray().add(h.arn()), s.heartbeat().body().getJsonArray("syncHypervisors"));
    assertEquals(new JsonArray(), s.heartbeat().body().getJsonArray("syncHypervisors"), "cleared once delivered");
    assertEquals("RUNNING", await(hypervisors.find(s.key().accountId(), h.arn())).syncStatus());

    Instant synced = Instant.parse("2026-11-23T10:00:00Z");
    Reply r = s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray().add(vm(s, "vm-1")
        .put("hypervisorArn", h.arn()).put("metadataSyncedAt", synced.toString()))));
    assertEquals(200, r.status(), r.body().encode());
    Hypervisor after = await(hypervisors.find(s.key().accountId(), h.arn()));
    assertEquals("SUCCEEDED", after.syncStatus());
    assertEquals(synced, after.lastSyncedAt());
  }

  @Test
  void aConfigurationTestIsHandedOverOnceAndItsResultRecorded() {
    Site s = site();
    String testId = "test-" + unique("t");
    await(hypervisors.createTest(testId, s.key().accountId(), s.gateway().gatewayId, "esx.example.com", "root",
        "esx-pw", Instant.now()));
    JsonArray tests = s.heartbeat().body().getJsonArray("hypervisorTests");
    assertEquals(1, tests.size());
    assertEquals(new JsonObject().put("testId", testId).put("host", "esx.example.com").put("username", "root")
        .put("password", "esx-pw"), tests.getJsonObject(0));
    assertEquals(new JsonArray(), s.heartbeat().body().getJsonArray("hypervisorTests"), "handed over once");

    AgentClient stranger = AgentClient.register(env.endpoint(), s.key(), "stranger");
    assertEquals(404, stranger.post("/hypervisor-tests/" + testId, new JsonObject().put("ok", true)).status(),
        "another gateway cannot answer it");
    Reply missingOk = s.gateway().post("/hypervisor-tests/" + testId, new JsonObject().put("message", "x"));
    assertEquals(400, missingOk.status());
    assertTrue(missingOk.body().getString("message").contains("'ok'"));

    Reply answered = s.gateway().post("/hypervisor-tests/" + testId,
        new JsonObject().put("ok", false).put("message", "cannot log in to esx.example.com: wrong password"));
    assertEquals(200, answered.status(), answered.body().encode());
    assertEquals(new JsonObject(), answered.body());
    PgHypervisorStore.TestResult result = await(hypervisors.testResult(testId));
    assertEquals(Boolean.FALSE, result.ok());
    assertEquals("cannot log in to esx.example.com: wrong password", result.message());
    assertEquals(409, s.gateway().post("/hypervisor-tests/" + testId, new JsonObject().put("ok", true)).status(),
        "a test is answered once");
  }

  @Test
  void theBandwidthScheduleAndMaintenanceTimeReachTheGatewayAsStored() {
    Site s = site();
    JsonArray intervals = new JsonArray().add(new JsonObject().put("AverageUploadRateLimitInBitsPerSec", 104857600L)
        .put("StartHourOfDay", 8).put("StartMinuteOfHour", 0).put("EndHourOfDay", 17).put("EndMinuteOfHour", 59)
        .put("DaysOfWeek", new JsonArray().add(1).add(2).add(3).add(4).add(5)));
    JsonObject maintenance = new JsonObject().put("HourOfDay", 3).put("MinuteOfHour", 30).put("DayOfWeek", 6);
    assertTrue(await(gateways.putBandwidthSchedule(s.key().accountId(), s.gatewayArn(), intervals)));
    assertTrue(await(gateways.putMaintenanceStartTime(s.key().accountId(), s.gatewayArn(), maintenance)));
    JsonObject beat = s.heartbeat().body();
    assertEquals(intervals, beat.getJsonArray("bandwidthRateLimitIntervals"));
    assertEquals(maintenance, beat.getJsonObject("maintenanceStartTime"));
  }

  @Test
  void aGatewayReportsItsHypervisorOnlineOrInErrorWithAMessage() {
    Site s = site();
    Hypervisor h = s.hypervisor("pw");
    assertEquals("PENDING", h.state());
    Reply online = s.gateway().post("/hypervisors/status",
        new JsonObject().put("hypervisorArn", h.arn()).put("state", "ONLINE"));
    assertEquals(200, online.status(), online.body().encode());
    assertEquals(new JsonObject(), online.body());
    assertEquals("ONLINE", await(hypervisors.find(s.key().accountId(), h.arn())).state());

    s.gateway().post("/hypervisors/status", new JsonObject().put("hypervisorArn", h.arn()).put("state", "ERROR")
        .put("message", "vc.example.com: certificate expired"));
    Hypervisor failed = await(hypervisors.find(s.key().accountId(), h.arn()));
    assertEquals("ERROR", failed.state());
    assertEquals("vc.example.com: certificate expired", failed.stateMessage());
    assertEquals("FAILED", failed.syncStatus());
    assertEquals("vc.example.com: certificate expired", failed.syncMessage());

    Reply bad = s.gateway().post("/hypervisors/status", new JsonObject().put("hypervisorArn", h.arn()).put("state", "HAPPY"));
    assertEquals(400, bad.status());
    assertTrue(bad.body().getString("message").contains("HAPPY"));
    Reply notOurs = s.gateway().post("/hypervisors/status",
        new JsonObject().put("hypervisorArn", s.hypervisorArn("hype-00000000")).put("state", "ONLINE"));
    assertEquals(404, notOurs.status());
    assertEquals("ResourceNotFoundException", notOurs.error());
  }

  @Test
  void inventoryKeepsVmwareDetailsAndRefusesMalformedOnes() {
    Site s = site();
    Hypervisor h = s.hypervisor("pw");
    JsonArray tags = new JsonArray().add(new JsonObject().put("category", "Tier").put("name", "Gold")
        .put("description", "the important ones"));
    JsonObject vm = vm(s, "vm-7").put("hypervisorArn", h.arn()).put("hostName", "esx-01")
        .put("path", "/DC0/vm/prod/vm-7").put("vmwareTags", tags).put("metadataSyncedAt", "2026-11-23T09:00:00Z");
    assertEquals(200, s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray().add(vm))).status());
    InventoryItem item = await(new PgGatewayStore(env.coordinator.pool()).inventory(s.key().accountId())).get(0);
    assertEquals(h.arn(), item.hypervisorArn());
    assertEquals("esx-01", item.hostName());
    assertEquals("/DC0/vm/prod/vm-7", item.path());
    assertEquals(tags, item.vmwareTags());
    assertEquals(Instant.parse("2026-11-23T09:00:00Z"), item.metadataSyncedAt());

    for (JsonObject bad : List.of(
        vm(s, "vm-8").put("hypervisorArn", "arn:aws:backup-gateway:us-east-1:111111111111:hypervisor/hype-1"),
        vm(s, "vm-8").put("metadataSyncedAt", "yesterday"),
        vm(s, "vm-8").put("vmwareTags", new JsonArray().add(new JsonObject().put("name", "no category"))),
        vm(s, "vm-8").put("vmwareTags", new JsonArray().add(new JsonObject().put("category", "c").put("name", "n")
            .put("colour", "red"))))) {
      Reply r = s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray().add(bad)));
      assertEquals(400, r.status(), bad.encode());
      assertFalse(r.body().getString("message").contains("Exception"), r.body().encode());
    }
  }

  @Test
  void aVcenterTriggeredBackupGoesToThePlanWhoseSelectionCoversTheVmThroughItsMappedVmwareTag() {
    Site s = site();
    Hypervisor h = s.hypervisor("pw");
    BackupClient backup = env.client(s.key());
    String vault = unique("vc");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    String planId = backup.createBackupPlan(r -> r.backupPlan(p -> p.backupPlanName(unique("gold"))
        .rules(rule -> rule.ruleName("daily").targetBackupVaultName(vault).startWindowMinutes(90L)
            .completionWindowMinutes(600L).lifecycle(l -> l.deleteAfterDays(12L))))).backupPlanId();
    String role = "arn:aws:iam::" + s.key().accountId() + ":role/backup";
    backup.createBackupSelection(r -> r.backupPlanId(planId).backupSelection(sel -> sel.selectionName("gold")
        .iamRoleArn(role).listOfTags(t -> t.conditionType("STRINGEQUALS").conditionKey("tier").conditionValue("gold"))));
    assertTrue(await(hypervisors.putMappings(s.key().accountId(), h.arn(), new JsonArray().add(new JsonObject()
        .put("VmwareCategory", "Tier").put("VmwareTagName", "Gold").put("AwsTagKey", "tier").put("AwsTagValue", "gold")),
        role)));
    JsonArray gold = new JsonArray().add(new JsonObject().put("category", "Tier").put("name", "Gold"));
    s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray()
        .add(vm(s, "gold-vm").put("hypervisorArn", h.arn()).put("vmwareTags", gold))
        .add(vm(s, "plain-vm").put("hypervisorArn", h.arn()))));

    Reply started = s.gateway().post("/backup-jobs/start", new JsonObject().put("resourceArn", s.vmArn("gold-vm")));
    assertEquals(200, started.status(), started.body().encode());
    String jobId = started.body().getString("backupJobId");
    DescribeBackupJobResponse job = backup.describeBackupJob(r -> r.backupJobId(jobId));
    assertEquals(vault, job.backupVaultName());
    assertEquals(role, job.iamRoleArn());
    assertEquals(s.vmArn("gold-vm"), job.resourceArn());
    assertEquals("CREATED", job.stateAsString());
    assertEquals(job.creationDate().plusSeconds(90 * 60), job.startBy(), "the rule's start window");

    JsonObject leased = s.gateway().lease().body().getJsonObject("job");
    assertEquals(jobId, leased.getString("jobId"));
    assertEquals(12L, leased.getJsonObject("lifecycle").getLong("DeleteAfterDays"), "the rule's lifecycle");
    assertEquals(env.coordinator.config().vaultStorageRoot() + "/" + s.key().accountId() + "/" + vault,
        leased.getString("vaultLocation"));
    assertTrue(leased.getString("vaultLocation").startsWith("file:///"), leased.getString("vaultLocation"));

    Reply uncovered = s.gateway().post("/backup-jobs/start", new JsonObject().put("resourceArn", s.vmArn("plain-vm")));
    assertEquals(409, uncovered.status());
    assertEquals("NoPlanCoversResource", uncovered.error());
    assertTrue(uncovered.body().getString("message").contains("plain-vm"));
    Reply unknown = s.gateway().post("/backup-jobs/start", new JsonObject().put("resourceArn", s.vmArn("elsewhere")));
    assertEquals(404, unknown.status());
    assertEquals("ResourceNotFoundException", unknown.error());
  }

  @Test
  void vaultLocationsKeepTheRootsQueryAndAddAccountAndVault() {
    assertEquals("s3://bucket/pre/000000000001/prod?endpoint=http://127.0.0.1:9000&region=us-east-1",
        VaultLocations.of("s3://bucket/pre/?endpoint=http://127.0.0.1:9000&region=us-east-1", "000000000001", "prod"));
    assertEquals("s3://bucket/000000000001/prod", VaultLocations.of("s3://bucket", "000000000001", "prod"));
    assertEquals("file:///srv/vaults/000000000001/prod", VaultLocations.of("file:///srv/vaults/", "000000000001", "prod"));
    assertEquals("file:///000000000001/prod", VaultLocations.of("file:///", "000000000001", "prod"));
  }

  static JsonObject vm(Site s, String name) {
    return new JsonObject().put("resourceArn", s.vmArn(name)).put("resourceType", "VirtualMachine").put("name", name);
  }
}
