package dev.vaultgate.coordinator.gateway;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.CoordinatorConfig;
import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.ConflictException;
import software.amazon.awssdk.services.backupgateway.model.HypervisorDetails;
import software.amazon.awssdk.services.backupgateway.model.HypervisorState;
import software.amazon.awssdk.services.backupgateway.model.ResourceNotFoundException;
import software.amazon.awssdk.services.backupgateway.model.SyncMetadataStatus;
import software.amazon.awssdk.services.backupgateway.model.ValidationException;
import software.amazon.awssdk.services.backupgateway.model.VirtualMachineDetails;
import software.amazon.awssdk.services.backupgateway.model.VmwareTag;
import software.amazon.awssdk.services.backupgateway.model.VmwareToAwsTagMapping;

/**
 * The backup-gateway API's hypervisor and VM operations through the real SDK client (2.20.0), with
 * a gateway on the agent API (plain HTTP) playing the appliance: import, state as the gateway
 * reports it, configuration tests answered by the gateway, metadata syncs, tag mappings and the
 * VMs the gateway reports.
 */
class HypervisorApiTest {

  static TestCoordinator env;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
  }

  record Site(AccessKey key, BackupGatewayClient api, AgentClient gateway) {
    String gatewayArn() {
      return arn("gateway/" + gateway.gatewayId);
    }

    String arn(String resource) {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":" + resource;
    }

    /** A hypervisor imported with a password and associated with this site's gateway. */
    String hypervisor(String host) {
      String arn = api.importHypervisorConfiguration(r -> r.name("vcenter").host(host)
          .username("administrator@vsphere.local").password("Initial-pw1")).hypervisorArn();
      api.associateGatewayToServer(r -> r.gatewayArn(gatewayArn()).serverArn(arn));
      return arn;
    }

    HypervisorDetails get(String arn) {
      return api.getHypervisor(r -> r.hypervisorArn(arn)).hypervisor();
    }

    JsonObject heartbeat() {
      Reply r = gateway.post("/heartbeat", new JsonObject());
      assertEquals(200, r.status(), r.body().encode());
      return r.body();
    }
  }

  static Site site() {
    AccessKey key = env.newAccount();
    return new Site(key, env.gatewayClient(key), AgentClient.register(env.endpoint(), key, "site"));
  }

  @Test
  void anImportedHypervisorIsPendingUntilItsGatewayReportsItAndItsPasswordNeverComesBack() {
    Site s = site();
    String arn = s.api().importHypervisorConfiguration(r -> r.name("vcenter-1").host("vc1.example.com")
        .username("administrator@vsphere.local").password("Top-Secret-1")
        .kmsKeyArn("arn:aws:kms:us-east-1:" + s.key().accountId() + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"))
        .hypervisorArn();
    assertTrue(arn.matches("arn:aws:backup-gateway:us-east-1:" + s.key().accountId() + ":hypervisor/hype-[0-9A-F]{8}"), arn);
    HypervisorDetails h = s.get(arn);
    assertEquals("vcenter-1", h.name());
    assertEquals("vc1.example.com", h.host());
    assertEquals(HypervisorState.PENDING, h.state());
    assertTrue(h.kmsKeyArn().endsWith("1234567890ab"));
    var listed = s.api().listHypervisors(r -> { }).hypervisors();
    assertEquals(1, listed.size());
    assertEquals(arn, listed.get(0).hypervisorArn());
    assertEquals(HypervisorState.PENDING, listed.get(0).state());
    for (String op : List.of("GetHypervisor", "ListHypervisors")) {
      SignedHttp.Response raw = SignedHttp.sendJson(env.endpoint(), s.key(), "backup-gateway",
          "BackupOnPremises_v20210101." + op, "application/x-amz-json-1.0",
          op.startsWith("Get") ? new JsonObject().put("HypervisorArn", arn).encode() : "{}");
      assertEquals(200, raw.status(), raw.body());
      assertFalse(raw.body().contains("Top-Secret-1") || raw.body().contains("Password"), raw.body());
    }
  }

  @Test
  void importRefusesADuplicateHostAPasswordWithoutAUserAndValuesOutsideTheModel() {
    Site s = site();
    s.api().importHypervisorConfiguration(r -> r.name("a").host("vc.example.com"));
    ConflictException dup = assertThrows(ConflictException.class,
        () -> s.api().importHypervisorConfiguration(r -> r.name("b").host("VC.example.com")));
    assertTrue(dup.getMessage().contains("vc.example.com") || dup.getMessage().contains("VC.example.com"));
    ValidationException noUser = assertThrows(ValidationException.class,
        () -> s.api().importHypervisorConfiguration(r -> r.name("c").host("other.example.com").password("pw")));
    assertTrue(noUser.getMessage().contains("Username"), noUser.getMessage());
    assertThrows(ValidationException.class, () -> s.api().importHypervisorConfiguration(r -> r.name("d").host("ab")));
    assertThrows(ValidationException.class,
        () -> s.api().importHypervisorConfiguration(r -> r.name("e").host("h.example.com").kmsKeyArn("not-a-key")));
    assertThrows(ValidationException.class, () -> s.api().importHypervisorConfiguration(r -> r.host("h.example.com")));
    assertEquals(1, s.api().listHypervisors(r -> { }).hypervisors().size(), "nothing refused was stored");
    assertThrows(ValidationException.class, () -> s.api().listHypervisors(r -> r.nextToken("forged")));
    assertThrows(ValidationException.class, () -> s.api().getHypervisor(r -> r.hypervisorArn("vc.example.com")));
    assertThrows(ResourceNotFoundException.class, () -> s.api().getHypervisor(r -> r
        .hypervisorArn(s.arn("hypervisor/hype-0000FFFF"))));
  }

  @Test
  void listHypervisorsPagesWithNextToken() {
    Site s = site();
    for (int i = 0; i < 3; i++) {
      String host = "vc" + i + ".example.com";
      s.api().importHypervisorConfiguration(r -> r.name("vc").host(host));
    }
    var first = s.api().listHypervisors(r -> r.maxResults(2));
    assertEquals(2, first.hypervisors().size());
    var second = s.api().listHypervisors(r -> r.maxResults(2).nextToken(first.nextToken()));
    assertEquals(1, second.hypervisors().size());
    assertNull(second.nextToken());
    assertEquals(3, java.util.stream.Stream.concat(first.hypervisors().stream(), second.hypervisors().stream())
        .map(h -> h.hypervisorArn()).distinct().count());
  }

  @Test
  void theStateIsWhatTheGatewayReportsAndOfflineWhenTheGatewayGoesQuiet() throws Exception {
    Site s = site();
    String arn = s.hypervisor("vc.example.com");
    s.heartbeat();
    s.gateway().post("/hypervisors/status", new JsonObject().put("hypervisorArn", arn).put("state", "ONLINE"));
    assertEquals(HypervisorState.ONLINE, s.get(arn).state());
    assertEquals(HypervisorState.ONLINE, s.api().listHypervisors(r -> { }).hypervisors().get(0).state());

    s.gateway().post("/hypervisors/status", new JsonObject().put("hypervisorArn", arn).put("state", "ERROR")
        .put("message", "vc.example.com:443: connection refused"));
    HypervisorDetails failed = s.get(arn);
    assertEquals(HypervisorState.ERROR, failed.state());
    assertEquals("vc.example.com:443: connection refused", failed.latestMetadataSyncStatusMessage());
    assertEquals(SyncMetadataStatus.FAILED, failed.latestMetadataSyncStatus());

    s.gateway().post("/hypervisors/status", new JsonObject().put("hypervisorArn", arn).put("state", "ONLINE"));
    // the gateway's last heartbeat moved back past three heartbeat periods: time passing, not a stand-in
    await(env.coordinator.pool().preparedQuery("UPDATE gateways SET last_seen_at = now() - interval '5 minutes'"
        + " WHERE gateway_id = $1").execute(Tuple.of(s.gateway().gatewayId)));
    assertEquals(HypervisorState.OFFLINE, s.get(arn).state());
    s.heartbeat();
    assertEquals(HypervisorState.ONLINE, s.get(arn).state(), "back when it heartbeats again");
  }

  @Test
  void aConfigurationTestIsAnsweredByTheGateway() throws Exception {
    Site s = site();
    CompletableFuture<JsonObject> handedOver = answerNextTest(s, true, null);
    s.api().testHypervisorConfiguration(r -> r.gatewayArn(s.gatewayArn()).host("esx1.example.com")
        .username("root").password("esx-pw"));
    JsonObject test = handedOver.get(10, TimeUnit.SECONDS);
    assertEquals("esx1.example.com", test.getString("host"));
    assertEquals("root", test.getString("username"));
    assertEquals("esx-pw", test.getString("password"));

    answerNextTest(s, false, "esx2.example.com: login failed for root");
    ValidationException refused = assertThrows(ValidationException.class, () -> s.api()
        .testHypervisorConfiguration(r -> r.gatewayArn(s.gatewayArn()).host("esx2.example.com").username("root")
            .password("wrong")));
    assertTrue(refused.getMessage().contains("esx2.example.com: login failed for root"), refused.getMessage());
  }

  @Test
  void aConfigurationTestNobodyAnswersEndsWithAClearErrorAfterTheWait() {
    Site s = site();
    Instant start = Instant.now();
    ConflictException e = assertThrows(ConflictException.class, () -> s.api()
        .testHypervisorConfiguration(r -> r.gatewayArn(s.gatewayArn()).host("esx.example.com")));
    Duration waited = Duration.between(start, Instant.now());
    assertTrue(e.getMessage().contains("did not answer") && e.getMessage().contains(s.gatewayArn()), e.getMessage());
    assertTrue(waited.compareTo(CoordinatorConfig.TEST_HYPERVISOR_TEST_TIMEOUT) >= 0, waited.toString());
    assertTrue(waited.compareTo(CoordinatorConfig.TEST_HYPERVISOR_TEST_TIMEOUT.plusSeconds(5)) < 0, waited.toString());
    assertEquals(new JsonArray(), s.heartbeat().getJsonArray("hypervisorTests"), "a test given up is not handed over late");
    assertThrows(ResourceNotFoundException.class, () -> s.api().testHypervisorConfiguration(r -> r
        .gatewayArn(s.arn("gateway/sgw-0000FFFF")).host("esx.example.com")));
    assertThrows(ValidationException.class, () -> s.api().testHypervisorConfiguration(r -> r
        .gatewayArn(s.gatewayArn()).host("esx.example.com").password("pw")), "a password needs a user");
  }

  @Test
  void updateChangesWhatIsGivenAndTheGatewayGetsTheNewPassword() {
    Site s = site();
    String arn = s.hypervisor("vc.example.com");
    s.api().importHypervisorConfiguration(r -> r.name("other").host("taken.example.com"));
    s.api().updateHypervisor(r -> r.hypervisorArn(arn).name("renamed").password("Rotated-pw2")
        .logGroupArn("arn:aws:logs:us-east-1:" + s.key().accountId() + ":log-group:/vaultgate/gw:*"));
    HypervisorDetails h = s.get(arn);
    assertEquals("renamed", h.name());
    assertEquals("vc.example.com", h.host(), "not given: unchanged");
    assertTrue(h.logGroupArn().endsWith("/vaultgate/gw:*"));
    JsonObject delivered = s.heartbeat().getJsonArray("hypervisors").getJsonObject(0);
    assertEquals("Rotated-pw2", delivered.getString("password"));
    assertEquals("administrator@vsphere.local", delivered.getString("username"));

    assertThrows(ConflictException.class, () -> s.api().updateHypervisor(r -> r.hypervisorArn(arn).host("taken.example.com")));
    assertThrows(ResourceNotFoundException.class, () -> s.api().updateHypervisor(r -> r
        .hypervisorArn(s.arn("hypervisor/hype-0000FFFF")).name("x")));
    assertThrows(ValidationException.class, () -> s.api().updateHypervisor(r -> r.hypervisorArn(arn).host("ab")));
  }

  @Test
  void aDeletedHypervisorIsGoneAndItsGatewayNoLongerAssociated() {
    Site s = site();
    String arn = s.hypervisor("vc.example.com");
    assertEquals(arn, s.api().deleteHypervisor(r -> r.hypervisorArn(arn)).hypervisorArn());
    assertThrows(ResourceNotFoundException.class, () -> s.get(arn));
    assertNull(s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())).gateway().hypervisorId());
    assertEquals(new JsonArray(), s.heartbeat().getJsonArray("hypervisors"));
    assertThrows(ResourceNotFoundException.class, () -> s.api().deleteHypervisor(r -> r.hypervisorArn(arn)));
    assertThrows(ValidationException.class, () -> s.api().deleteHypervisor(r -> r.hypervisorArn("hype-1")));
  }

  @Test
  void aMetadataSyncGoesFromCreatedThroughRunningToSucceeded() {
    Site s = site();
    String arn = s.hypervisor("vc.example.com");
    assertNull(s.get(arn).latestMetadataSyncStatus());
    s.api().startVirtualMachinesMetadataSync(r -> r.hypervisorArn(arn));
    assertEquals(SyncMetadataStatus.CREATED, s.get(arn).latestMetadataSyncStatus());
    assertEquals(new JsonArray().add(arn), s.heartbeat().getJsonArray("syncHypervisors"));
    assertEquals(SyncMetadataStatus.RUNNING, s.get(arn).latestMetadataSyncStatus());
    Instant synced = Instant.parse("2026-11-23T08:00:00Z");
    s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray().add(vm(s, "vm-1")
        .put("hypervisorArn", arn).put("metadataSyncedAt", synced.toString()))));
    HypervisorDetails done = s.get(arn);
    assertEquals(SyncMetadataStatus.SUCCEEDED, done.latestMetadataSyncStatus());
    assertEquals(synced, done.lastSuccessfulMetadataSyncTime());
    assertThrows(ResourceNotFoundException.class, () -> s.api().startVirtualMachinesMetadataSync(r -> r
        .hypervisorArn(s.arn("hypervisor/hype-0000FFFF"))));
  }

  @Test
  void propertyMappingsAreStoredAndTurnVmwareTagsIntoAwsTagsForSelections() {
    Site s = site();
    String arn = s.hypervisor("vc.example.com");
    String role = "arn:aws:iam::" + s.key().accountId() + ":role/gateway-tags";
    VmwareToAwsTagMapping gold = VmwareToAwsTagMapping.builder().vmwareCategory("Tier").vmwareTagName("Gold")
        .awsTagKey("tier").awsTagValue("gold").build();
    s.api().putHypervisorPropertyMappings(r -> r.hypervisorArn(arn).iamRoleArn(role).vmwareToAwsTagMappings(gold));
    var got = s.api().getHypervisorPropertyMappings(r -> r.hypervisorArn(arn));
    assertEquals(List.of(gold), got.vmwareToAwsTagMappings());
    assertEquals(role, got.iamRoleArn());
    assertEquals(arn, got.hypervisorArn());

    // a tag-based selection sees the mapped tag: a vCenter-triggered backup of the VM finds its plan
    BackupClient backup = env.client(s.key());
    String vault = TestCoordinator.unique("mapped");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    String planId = backup.createBackupPlan(r -> r.backupPlan(p -> p.backupPlanName(TestCoordinator.unique("p"))
        .rules(rule -> rule.ruleName("r").targetBackupVaultName(vault)))).backupPlanId();
    backup.createBackupSelection(r -> r.backupPlanId(planId).backupSelection(sel -> sel.selectionName("gold")
        .iamRoleArn(role).listOfTags(t -> t.conditionType("STRINGEQUALS").conditionKey("tier").conditionValue("gold"))));
    s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray().add(vm(s, "vm-gold")
        .put("hypervisorArn", arn).put("vmwareTags", new JsonArray().add(new JsonObject().put("category", "Tier")
            .put("name", "Gold"))))));
    assertEquals(200, s.gateway().post("/backup-jobs/start", new JsonObject().put("resourceArn", s.arn("vm/vm-gold")))
        .status());
    s.api().putHypervisorPropertyMappings(r -> r.hypervisorArn(arn).iamRoleArn(role).vmwareToAwsTagMappings(List.of()));
    assertEquals("NoPlanCoversResource", s.gateway().post("/backup-jobs/start",
        new JsonObject().put("resourceArn", s.arn("vm/vm-gold"))).error(), "without the mapping the tag is gone");
    s.api().tagResource(r -> r.resourceARN(s.arn("vm/vm-gold"))
        .tags(software.amazon.awssdk.services.backupgateway.model.Tag.builder().key("tier").value("gold").build()));
    assertEquals(200, s.gateway().post("/backup-jobs/start", new JsonObject().put("resourceArn", s.arn("vm/vm-gold")))
        .status(), "an AWS tag given to the VM with TagResource counts too");

    assertThrows(ValidationException.class, () -> s.api().putHypervisorPropertyMappings(r -> r.hypervisorArn(arn)
        .iamRoleArn("arn:aws:iam::999999999999:role/elsewhere").vmwareToAwsTagMappings(gold)));
    assertThrows(ValidationException.class, () -> s.api().putHypervisorPropertyMappings(r -> r.hypervisorArn(arn)
        .iamRoleArn(role).vmwareToAwsTagMappings(gold, gold.toBuilder().awsTagValue("other").build())));
    assertThrows(ValidationException.class, () -> s.api().putHypervisorPropertyMappings(r -> r.hypervisorArn(arn)
        .iamRoleArn(role).vmwareToAwsTagMappings(gold.toBuilder().vmwareCategory("").build())));
    assertThrows(ResourceNotFoundException.class, () -> s.api().putHypervisorPropertyMappings(r -> r
        .hypervisorArn(s.arn("hypervisor/hype-0000FFFF")).iamRoleArn(role).vmwareToAwsTagMappings(gold)));
    assertThrows(ResourceNotFoundException.class, () -> s.api().getHypervisorPropertyMappings(r -> r
        .hypervisorArn(s.arn("hypervisor/hype-0000FFFF"))));
  }

  @Test
  void virtualMachinesAreListedFromTheInventoryWithTheirLastBackupAndVmwareTags() {
    Site s = site();
    String arn = s.hypervisor("vc.example.com");
    String hypervisorId = arn.substring(arn.lastIndexOf('/') + 1);
    s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray()
        .add(vm(s, "vm-a").put("hypervisorArn", arn).put("hostName", "esx-01").put("path", "/DC0/vm/vm-a")
            .put("vmwareTags", new JsonArray().add(new JsonObject().put("category", "Tier").put("name", "Gold")
                .put("description", "critical"))))
        .add(vm(s, "vm-b").put("hypervisorArn", arn))
        .add(vm(s, "vm-c"))));
    var all = s.api().listVirtualMachines(r -> { }).virtualMachines();
    assertEquals(List.of(s.arn("vm/vm-a"), s.arn("vm/vm-b"), s.arn("vm/vm-c")),
        all.stream().map(v -> v.resourceArn()).toList());
    assertEquals("esx-01", all.get(0).hostName());
    assertEquals("/DC0/vm/vm-a", all.get(0).path());
    assertEquals(hypervisorId, all.get(0).hypervisorId());
    assertEquals("vm-a", all.get(0).name());
    assertNull(all.get(0).lastBackupDate());
    assertEquals(2, s.api().listVirtualMachines(r -> r.hypervisorArn(arn)).virtualMachines().size());

    var page = s.api().listVirtualMachines(r -> r.maxResults(2));
    assertEquals(2, page.virtualMachines().size());
    var rest = s.api().listVirtualMachines(r -> r.maxResults(2).nextToken(page.nextToken()));
    assertEquals(List.of(s.arn("vm/vm-c")), rest.virtualMachines().stream().map(v -> v.resourceArn()).toList());
    assertNull(rest.nextToken());

    // a completed backup of vm-a is its LastBackupDate
    BackupClient backup = env.client(s.key());
    String vault = TestCoordinator.unique("vms");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    String jobId = backup.startBackupJob(r -> r.backupVaultName(vault).resourceArn(s.arn("vm/vm-a"))
        .iamRoleArn("arn:aws:iam::" + s.key().accountId() + ":role/backup")).backupJobId();
    assertEquals(jobId, s.gateway().lease().body().getJsonObject("job").getString("jobId"));
    assertEquals("COMPLETED", s.gateway().complete(jobId, 1024).body().getString("state"));
    Instant created = backup.describeBackupJob(r -> r.backupJobId(jobId)).creationDate();

    VirtualMachineDetails vm = s.api().getVirtualMachine(r -> r.resourceArn(s.arn("vm/vm-a"))).virtualMachine();
    assertNotNull(vm.lastBackupDate());
    assertFalse(vm.lastBackupDate().isBefore(created.minusSeconds(1)), vm.lastBackupDate() + " vs " + created);
    assertEquals(List.of(VmwareTag.builder().vmwareCategory("Tier").vmwareTagName("Gold").vmwareTagDescription("critical")
        .build()), vm.vmwareTags());
    assertThrows(ResourceNotFoundException.class, () -> s.api().getVirtualMachine(r -> r.resourceArn(s.arn("vm/vm-z"))));
    assertThrows(ResourceNotFoundException.class, () -> env.gatewayClient(env.newAccount())
        .getVirtualMachine(r -> r.resourceArn(s.arn("vm/vm-a"))), "another account");
    assertThrows(ValidationException.class, () -> s.api().getVirtualMachine(r -> r.resourceArn("vm-a")));
    assertThrows(ValidationException.class, () -> s.api().listVirtualMachines(r -> r.nextToken("forged")));
  }

  static JsonObject vm(Site s, String name) {
    return new JsonObject().put("resourceArn", s.arn("vm/" + name)).put("resourceType", "VirtualMachine")
        .put("name", name);
  }

  /**
   * The gateway's side of one test: heartbeats every 200 ms until it is handed a test, then answers
   * it. Completes with the test as handed over.
   */
  static CompletableFuture<JsonObject> answerNextTest(Site s, boolean ok, String message) {
    return CompletableFuture.supplyAsync(() -> {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < until) {
        JsonArray tests = s.heartbeat().getJsonArray("hypervisorTests");
        if (!tests.isEmpty()) {
          JsonObject test = tests.getJsonObject(0);
          JsonObject answer = new JsonObject().put("ok", ok);
          if (message != null) answer.put("message", message);
          Reply r = s.gateway().post("/hypervisor-tests/" + test.getString("testId"), answer);
          if (r.status() != 200) throw new IllegalStateException("answer refused: " + r.body());
          return test;
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      throw new IllegalStateException("no test was handed over");
    });
  }
}
