package dev.vaultgate.coordinator.gateway;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.AgentClient.Reply;
import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.BackupGatewayException;
import software.amazon.awssdk.services.backupgateway.model.BandwidthRateLimitInterval;
import software.amazon.awssdk.services.backupgateway.model.ConflictException;
import software.amazon.awssdk.services.backupgateway.model.GatewayDetails;
import software.amazon.awssdk.services.backupgateway.model.GatewayType;
import software.amazon.awssdk.services.backupgateway.model.ResourceNotFoundException;
import software.amazon.awssdk.services.backupgateway.model.Tag;
import software.amazon.awssdk.services.backupgateway.model.ValidationException;

/**
 * The backup-gateway API's gateway operations through the real SDK client (2.20.0): gateways the
 * agent API registered or activated, their names, hypervisor association, schedules, tags and
 * deletion; every bad input answered with the model's error; accounts isolated.
 */
class GatewayApiTest {

  static TestCoordinator env;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
  }

  /** A fresh account, its SDK client and one registered gateway. */
  record Site(AccessKey key, BackupGatewayClient api, AgentClient gateway) {
    String gatewayArn() {
      return arn("gateway/" + gateway.gatewayId);
    }

    String arn(String resource) {
      return "arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":" + resource;
    }

    String importHypervisor(String host) {
      return api.importHypervisorConfiguration(r -> r.name("vc").host(host).username("admin").password("pw"))
          .hypervisorArn();
    }
  }

  static Site site() {
    AccessKey key = env.newAccount();
    return new Site(key, env.gatewayClient(key), AgentClient.register(env.endpoint(), key, "site-a"));
  }

  static final String NO_SUCH_GATEWAY = "gateway/sgw-0000FFFF";

  @Test
  void aRegisteredGatewayIsListedAsBackupVmWithItsLastHeartbeat() {
    Site s = site();
    Instant before = Instant.now().minusSeconds(1);
    s.gateway().post("/heartbeat", new JsonObject().put("softwareVersion", "2.0.1"));
    var listed = s.api().listGateways(r -> { }).gateways();
    assertEquals(1, listed.size());
    assertEquals(s.gatewayArn(), listed.get(0).gatewayArn());
    assertEquals("site-a", listed.get(0).gatewayDisplayName());
    assertEquals(GatewayType.BACKUP_VM, listed.get(0).gatewayType());
    assertTrue(listed.get(0).lastSeenTime().isAfter(before), listed.get(0).lastSeenTime().toString());
    assertNull(listed.get(0).hypervisorId());

    GatewayDetails details = s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())).gateway();
    // the 2.20.0 SDK predates SoftwareVersion: read it off the wire
    SignedHttp.Response raw = SignedHttp.sendJson(env.endpoint(), s.key(), "backup-gateway",
        "BackupOnPremises_v20210101.GetGateway", "application/x-amz-json-1.0",
        new JsonObject().put("GatewayArn", s.gatewayArn()).encode());
    assertEquals("2.0.1", raw.json().getJsonObject("Gateway").getString("SoftwareVersion"), raw.body());
    assertEquals(listed.get(0).lastSeenTime(), details.lastSeenTime());
    assertNull(details.maintenanceStartTime());
  }

  @Test
  void listGatewaysPagesWithNextToken() {
    Site s = site();
    AgentClient.register(env.endpoint(), s.key(), "site-b");
    AgentClient.register(env.endpoint(), s.key(), "site-c");
    var first = s.api().listGateways(r -> r.maxResults(2));
    assertEquals(2, first.gateways().size());
    assertNotNull(first.nextToken());
    var second = s.api().listGateways(r -> r.maxResults(2).nextToken(first.nextToken()));
    assertEquals(1, second.gateways().size());
    assertNull(second.nextToken());
    assertFalse(first.gateways().contains(second.gateways().get(0)));
    assertThrows(ValidationException.class, () -> s.api().listGateways(r -> r.nextToken("not-a-token")));
    assertThrows(ValidationException.class, () -> s.api().listGateways(r -> r.maxResults(0)));
  }

  @Test
  void anApplianceActivatesAGatewayThatAnAdministratorCreatesWithItsKey() {
    Site s = site();
    Reply activation = s.gateway().postRaw("/activations", new JsonObject().put("name", "appliance-1").encode(), null);
    assertEquals(201, activation.status(), activation.body().encode());
    String key = activation.body().getString("activationKey");
    String poll = activation.body().getString("pollToken");
    assertTrue(key.matches("[0-9A-Z]{5}(-[0-9A-Z]{5}){4}"), key);
    Instant expires = Instant.parse(activation.body().getString("expiresAt"));
    assertTrue(expires.isAfter(Instant.now().plus(Duration.ofMinutes(29))));

    Reply waiting = claim(s, poll);
    assertEquals(200, waiting.status());
    assertEquals(new JsonObject(), waiting.body(), "nobody used the key yet");

    String arn = s.api().createGateway(r -> r.activationKey(key).gatewayDisplayName("dc-east")
        .gatewayType(GatewayType.BACKUP_VM).tags(Tag.builder().key("site").value("east").build())).gatewayArn();
    assertTrue(arn.matches("arn:aws:backup-gateway:us-east-1:" + s.key().accountId() + ":gateway/sgw-[0-9A-F]{8}"), arn);
    assertEquals("dc-east", s.api().getGateway(r -> r.gatewayArn(arn)).gateway().gatewayDisplayName());
    assertEquals(List.of(Tag.builder().key("site").value("east").build()),
        s.api().listTagsForResource(r -> r.resourceArn(arn)).tags());

    Reply claimed = claim(s, poll);
    assertEquals(200, claimed.status(), claimed.body().encode());
    assertEquals(arn, claimed.body().getString("gatewayArn"));
    String token = claimed.body().getString("token");
    Reply beat = s.gateway().postRaw("/heartbeat", "{}", "Bearer " + token);
    assertEquals(200, beat.status(), "the claimed token works");
    assertEquals(arn.substring(arn.lastIndexOf('/') + 1), beat.body().getString("gatewayId"));

    assertEquals("AlreadyClaimed", claim(s, poll).error(), "claimed once");
    ValidationException reused = assertThrows(ValidationException.class, () -> s.api().createGateway(r -> r
        .activationKey(key).gatewayDisplayName("again").gatewayType(GatewayType.BACKUP_VM)));
    assertTrue(reused.getMessage().contains("used already"), reused.getMessage());
    ValidationException unknown = assertThrows(ValidationException.class, () -> s.api().createGateway(r -> r
        .activationKey("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE").gatewayDisplayName("x").gatewayType(GatewayType.BACKUP_VM)));
    assertTrue(unknown.getMessage().contains("not valid"), unknown.getMessage());
    assertEquals("UnknownActivation", claim(s, "vgp_nothing").error());
  }

  @Test
  void anExpiredActivationKeyMakesNoGatewayAndItsClaimSaysSo() {
    Site s = site();
    // an activation made 31 minutes ago, through the store (the API cannot backdate one)
    String key = "EXPRD-" + TestCoordinator.unique("k").substring(2, 7).toUpperCase() + "-AAAAA-BBBBB-CCCCC";
    String poll = "vgp_" + TestCoordinator.unique("poll");
    await(new PgActivationStore(env.coordinator.pool()).create(key, GatewayOperations.sha256(poll), "old",
        Instant.now().minus(Duration.ofMinutes(31))));
    ValidationException e = assertThrows(ValidationException.class, () -> s.api().createGateway(r -> r
        .activationKey(key).gatewayDisplayName("late").gatewayType(GatewayType.BACKUP_VM)));
    assertTrue(e.getMessage().contains("expired"), e.getMessage());
    assertEquals(1, s.api().listGateways(r -> { }).gateways().size(), "no gateway was made");
    Reply r = claim(s, poll);
    assertEquals(410, r.status());
    assertEquals("ActivationExpired", r.error());
  }

  @Test
  void createGatewayRefusesValuesOutsideTheModel() {
    Site s = site();
    // the model's patterns are not anchored (Smithy): its lengths and enums are what a value can break
    Map<String, Executable> bad = Map.of(
        "ActivationKey", () -> s.api().createGateway(r -> r.activationKey("A".repeat(51))
            .gatewayDisplayName("x").gatewayType(GatewayType.BACKUP_VM)),
        "GatewayDisplayName", () -> s.api().createGateway(r -> r.activationKey("AAAAA")
            .gatewayDisplayName("x".repeat(101)).gatewayType(GatewayType.BACKUP_VM)),
        "GatewayType", () -> s.api().createGateway(r -> r.activationKey("AAAAA")
            .gatewayDisplayName("x").gatewayType("FILE_S3")));
    bad.forEach((member, call) -> {
      ValidationException e = assertThrows(ValidationException.class, call, member);
      assertTrue(e.getMessage().contains(member), e.getMessage());
    });
    SignedHttp.Response missing = SignedHttp.sendJson(env.endpoint(), s.key(), "backup-gateway",
        "BackupOnPremises_v20210101.CreateGateway", "application/x-amz-json-1.0", "{\"GatewayDisplayName\":\"x\"}");
    assertEquals(400, missing.status());
    assertEquals("ValidationException", missing.json().getString("__type"));
    assertTrue(missing.json().getString("message").contains("ActivationKey"), missing.body());
  }

  @Test
  void updateGatewayInformationRenames() {
    Site s = site();
    s.api().updateGatewayInformation(r -> r.gatewayArn(s.gatewayArn()).gatewayDisplayName("renamed"));
    assertEquals("renamed", s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())).gateway().gatewayDisplayName());
    s.api().updateGatewayInformation(r -> r.gatewayArn(s.gatewayArn()));
    assertEquals("renamed", s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())).gateway().gatewayDisplayName(),
        "no name: unchanged");
    assertThrows(ResourceNotFoundException.class,
        () -> s.api().updateGatewayInformation(r -> r.gatewayArn(s.arn(NO_SUCH_GATEWAY)).gatewayDisplayName("x")));
    assertThrows(ValidationException.class,
        () -> s.api().updateGatewayInformation(r -> r.gatewayArn("arn:aws:s3:::bucket-with-a-long-enough-name-here")));
    assertThrows(ValidationException.class,
        () -> s.api().updateGatewayInformation(r -> r.gatewayArn(s.gatewayArn()).gatewayDisplayName("")));
  }

  @Test
  void aGatewayIsAssociatedWithOneHypervisorAtATime() {
    Site s = site();
    String hypervisor = s.importHypervisor("vc-1.example.com");
    String other = s.importHypervisor("vc-2.example.com");
    s.api().associateGatewayToServer(r -> r.gatewayArn(s.gatewayArn()).serverArn(hypervisor));
    String id = hypervisor.substring(hypervisor.lastIndexOf('/') + 1);
    assertEquals(id, s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())).gateway().hypervisorId());
    assertEquals(id, s.api().listGateways(r -> { }).gateways().get(0).hypervisorId());
    s.api().associateGatewayToServer(r -> r.gatewayArn(s.gatewayArn()).serverArn(hypervisor)); // again: no change
    assertThrows(ConflictException.class,
        () -> s.api().associateGatewayToServer(r -> r.gatewayArn(s.gatewayArn()).serverArn(other)));
    assertThrows(ResourceNotFoundException.class, () -> s.api().associateGatewayToServer(r -> r
        .gatewayArn(s.gatewayArn()).serverArn(s.arn("hypervisor/hype-0000FFFF"))));
    assertThrows(ResourceNotFoundException.class, () -> s.api().associateGatewayToServer(r -> r
        .gatewayArn(s.arn(NO_SUCH_GATEWAY)).serverArn(hypervisor)));

    s.api().disassociateGatewayFromServer(r -> r.gatewayArn(s.gatewayArn()));
    assertNull(s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())).gateway().hypervisorId());
    assertThrows(ConflictException.class, () -> s.api().disassociateGatewayFromServer(r -> r.gatewayArn(s.gatewayArn())));
    assertThrows(ResourceNotFoundException.class,
        () -> s.api().disassociateGatewayFromServer(r -> r.gatewayArn(s.arn(NO_SUCH_GATEWAY))));
    s.api().associateGatewayToServer(r -> r.gatewayArn(s.gatewayArn()).serverArn(other));
    assertEquals(other, s.gateway().post("/heartbeat", new JsonObject()).body().getJsonArray("hypervisors")
        .getJsonObject(0).getString("hypervisorArn"));
  }

  @Test
  void theBandwidthScheduleIsStoredAsGivenAndRefusedWhenItDoesNotMakeSense() {
    Site s = site();
    BandwidthRateLimitInterval weekdays = BandwidthRateLimitInterval.builder().averageUploadRateLimitInBitsPerSec(104857600L)
        .startHourOfDay(8).startMinuteOfHour(0).endHourOfDay(17).endMinuteOfHour(59).daysOfWeek(1, 2, 3, 4, 5).build();
    BandwidthRateLimitInterval nights = BandwidthRateLimitInterval.builder()
        .startHourOfDay(18).startMinuteOfHour(0).endHourOfDay(23).endMinuteOfHour(59).daysOfWeek(1).build();
    s.api().putBandwidthRateLimitSchedule(r -> r.gatewayArn(s.gatewayArn()).bandwidthRateLimitIntervals(weekdays, nights));
    assertEquals(List.of(weekdays, nights), s.api().getBandwidthRateLimitSchedule(r -> r.gatewayArn(s.gatewayArn()))
        .bandwidthRateLimitIntervals());
    JsonArray delivered = s.gateway().post("/heartbeat", new JsonObject()).body().getJsonArray("bandwidthRateLimitIntervals");
    assertEquals(104857600L, delivered.getJsonObject(0).getLong("AverageUploadRateLimitInBitsPerSec"));
    assertEquals(new JsonArray().add(1), delivered.getJsonObject(1).getJsonArray("DaysOfWeek"));

    Consumer<BandwidthRateLimitInterval> refused = bad -> assertThrows(ValidationException.class, () -> s.api()
        .putBandwidthRateLimitSchedule(r -> r.gatewayArn(s.gatewayArn()).bandwidthRateLimitIntervals(bad)),
        bad.toString());
    refused.accept(weekdays.toBuilder().endHourOfDay(7).build()); // ends before it starts
    refused.accept(weekdays.toBuilder().startHourOfDay(24).build()); // the model's range
    refused.accept(weekdays.toBuilder().daysOfWeek(1, 1).build());
    refused.accept(weekdays.toBuilder().daysOfWeek(7).build());
    refused.accept(weekdays.toBuilder().averageUploadRateLimitInBitsPerSec(100L).build()); // below 51200
    assertThrows(ValidationException.class, () -> s.api().putBandwidthRateLimitSchedule(r -> r.gatewayArn(s.gatewayArn())
        .bandwidthRateLimitIntervals(weekdays, weekdays.toBuilder().startHourOfDay(12).build())), "overlapping");
    assertEquals(2, s.api().getBandwidthRateLimitSchedule(r -> r.gatewayArn(s.gatewayArn()))
        .bandwidthRateLimitIntervals().size(), "a refused schedule changes nothing");

    s.api().putBandwidthRateLimitSchedule(r -> r.gatewayArn(s.gatewayArn()).bandwidthRateLimitIntervals(List.of()));
    assertEquals(List.of(), s.api().getBandwidthRateLimitSchedule(r -> r.gatewayArn(s.gatewayArn()))
        .bandwidthRateLimitIntervals(), "an empty schedule removes the limits");
    assertThrows(ResourceNotFoundException.class, () -> s.api().getBandwidthRateLimitSchedule(r -> r
        .gatewayArn(s.arn(NO_SUCH_GATEWAY))));
    assertThrows(ResourceNotFoundException.class, () -> s.api().putBandwidthRateLimitSchedule(r -> r
        .gatewayArn(s.arn(NO_SUCH_GATEWAY)).bandwidthRateLimitIntervals(weekdays)));
  }

  @Test
  void theMaintenanceStartTimeIsWeeklyOrMonthly() {
    Site s = site();
    s.api().putMaintenanceStartTime(r -> r.gatewayArn(s.gatewayArn()).hourOfDay(3).minuteOfHour(30).dayOfWeek(0));
    var start = s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())).gateway().maintenanceStartTime();
    assertEquals(3, start.hourOfDay());
    assertEquals(30, start.minuteOfHour());
    assertEquals(0, start.dayOfWeek());
    assertNull(start.dayOfMonth());
    assertEquals(new JsonObject().put("HourOfDay", 3).put("MinuteOfHour", 30).put("DayOfWeek", 0),
        s.gateway().post("/heartbeat", new JsonObject()).body().getJsonObject("maintenanceStartTime"));
    s.api().putMaintenanceStartTime(r -> r.gatewayArn(s.gatewayArn()).hourOfDay(1).minuteOfHour(0).dayOfMonth(28));
    assertEquals(28, s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())).gateway().maintenanceStartTime().dayOfMonth());

    assertThrows(ValidationException.class, () -> s.api().putMaintenanceStartTime(r -> r.gatewayArn(s.gatewayArn())
        .hourOfDay(1).minuteOfHour(0).dayOfMonth(1).dayOfWeek(1)));
    assertThrows(ValidationException.class, () -> s.api().putMaintenanceStartTime(r -> r.gatewayArn(s.gatewayArn())
        .hourOfDay(1).minuteOfHour(60)));
    assertThrows(ValidationException.class, () -> s.api().putMaintenanceStartTime(r -> r.gatewayArn(s.gatewayArn())
        .hourOfDay(1).minuteOfHour(0).dayOfMonth(32)));
    assertThrows(ResourceNotFoundException.class, () -> s.api().putMaintenanceStartTime(r -> r
        .gatewayArn(s.arn(NO_SUCH_GATEWAY)).hourOfDay(1).minuteOfHour(0)));
  }

  @Test
  void gatewaysHypervisorsAndVmsAreTaggedUntaggedAndListed() {
    Site s = site();
    String hypervisor = s.importHypervisor("vc.example.com");
    String vm = s.arn("vm/vm-tagged");
    s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray().add(new JsonObject()
        .put("resourceArn", vm).put("resourceType", "VirtualMachine").put("name", "vm-tagged"))));
    for (String arn : List.of(s.gatewayArn(), hypervisor, vm)) {
      s.api().tagResource(r -> r.resourceARN(arn).tags(Tag.builder().key("env").value("prod").build(),
          Tag.builder().key("team").value("ops").build()));
      s.api().untagResource(r -> r.resourceARN(arn).tagKeys("team"));
      assertEquals(List.of(Tag.builder().key("env").value("prod").build()),
          s.api().listTagsForResource(r -> r.resourceArn(arn)).tags(), arn);
    }
    for (String missing : List.of(s.arn(NO_SUCH_GATEWAY), s.arn("hypervisor/hype-0000FFFF"), s.arn("vm/vm-nowhere"))) {
      assertThrows(ResourceNotFoundException.class, () -> s.api().listTagsForResource(r -> r.resourceArn(missing)));
      assertThrows(ResourceNotFoundException.class, () -> s.api().tagResource(r -> r.resourceARN(missing)
          .tags(Tag.builder().key("a").value("b").build())));
      assertThrows(ResourceNotFoundException.class, () -> s.api().untagResource(r -> r.resourceARN(missing).tagKeys("a")));
    }
    assertThrows(ValidationException.class, () -> s.api().tagResource(r -> r.resourceARN(s.gatewayArn())
        .tags(Tag.builder().key("a").value("1").build(), Tag.builder().key("a").value("2").build())));
    assertThrows(ValidationException.class, () -> s.api().tagResource(r -> r.resourceARN(s.gatewayArn())
        .tags(Tag.builder().key("").value("1").build())));
  }

  @Test
  void aDeletedGatewayIsGoneWithItsInventoryAndItsTokenNoLongerWorks() {
    Site s = site();
    s.gateway().post("/inventory", new JsonObject().put("resources", new JsonArray().add(new JsonObject()
        .put("resourceArn", s.arn("vm/vm-1")).put("resourceType", "VirtualMachine").put("name", "vm-1"))));
    assertEquals(s.gatewayArn(), s.api().deleteGateway(r -> r.gatewayArn(s.gatewayArn())).gatewayArn());
    assertEquals(List.of(), s.api().listGateways(r -> { }).gateways());
    assertThrows(ResourceNotFoundException.class, () -> s.api().getGateway(r -> r.gatewayArn(s.gatewayArn())));
    assertEquals(List.of(), s.api().listVirtualMachines(r -> { }).virtualMachines());
    assertEquals(401, s.gateway().post("/heartbeat", new JsonObject()).status());
    assertThrows(ResourceNotFoundException.class, () -> s.api().deleteGateway(r -> r.gatewayArn(s.gatewayArn())));
  }

  @Test
  void everyOperationOfTheModelIsServedAndOnlyUpdateGatewaySoftwareNowIs501() {
    Site s = site();
    java.util.Set<String> notImplemented = new java.util.TreeSet<>();
    for (String op : dev.vaultgate.coordinator.wire.ServiceModel.backupGateway().operations().keySet()) {
      // an empty body: a handler answers, or the model refuses the missing members; never "unknown"
      SignedHttp.Response r = SignedHttp.sendJson(env.endpoint(), s.key(), "backup-gateway",
          "BackupOnPremises_v20210101." + op, "application/x-amz-json-1.0", "{}");
      assertFalse(r.body().contains("UnknownOperationException"), op + ": " + r.body());
      if (r.status() == 501) notImplemented.add(op);
      else assertTrue(r.status() == 200 || "ValidationException".equals(r.json().getString("__type")), op + ": " + r.body());
    }
    assertEquals(java.util.Set.of("UpdateGatewaySoftwareNow"), notImplemented);
  }

  @Test
  void anOperationVaultgateDoesNotImplementIs501() {
    Site s = site();
    BackupGatewayException e = assertThrows(BackupGatewayException.class,
        () -> s.api().updateGatewaySoftwareNow(r -> r.gatewayArn(s.gatewayArn())));
    assertEquals(501, e.statusCode());
    assertEquals("NotImplementedException", e.awsErrorDetails().errorCode());
  }

  @Test
  void anotherAccountsGatewaysAndHypervisorsAreInvisibleAndUntouchable() {
    Site alice = site();
    String hypervisor = alice.importHypervisor("vc.alice.example.com");
    alice.api().associateGatewayToServer(r -> r.gatewayArn(alice.gatewayArn()).serverArn(hypervisor));
    alice.api().tagResource(r -> r.resourceARN(alice.gatewayArn()).tags(Tag.builder().key("k").value("v").build()));
    BackupGatewayClient bob = env.gatewayClient(env.newAccount());
    String gw = alice.gatewayArn();
    Map<String, Executable> calls = new java.util.LinkedHashMap<>();
    calls.put("GetGateway", () -> bob.getGateway(r -> r.gatewayArn(gw)));
    calls.put("UpdateGatewayInformation", () -> bob.updateGatewayInformation(r -> r.gatewayArn(gw).gatewayDisplayName("bob")));
    calls.put("AssociateGatewayToServer", () -> bob.associateGatewayToServer(r -> r.gatewayArn(gw).serverArn(hypervisor)));
    calls.put("DisassociateGatewayFromServer", () -> bob.disassociateGatewayFromServer(r -> r.gatewayArn(gw)));
    calls.put("PutBandwidthRateLimitSchedule", () -> bob.putBandwidthRateLimitSchedule(r -> r.gatewayArn(gw)
        .bandwidthRateLimitIntervals(List.of())));
    calls.put("GetBandwidthRateLimitSchedule", () -> bob.getBandwidthRateLimitSchedule(r -> r.gatewayArn(gw)));
    calls.put("PutMaintenanceStartTime", () -> bob.putMaintenanceStartTime(r -> r.gatewayArn(gw).hourOfDay(1).minuteOfHour(1)));
    calls.put("TestHypervisorConfiguration", () -> bob.testHypervisorConfiguration(r -> r.gatewayArn(gw).host("x.example")));
    calls.put("GetHypervisor", () -> bob.getHypervisor(r -> r.hypervisorArn(hypervisor)));
    calls.put("UpdateHypervisor", () -> bob.updateHypervisor(r -> r.hypervisorArn(hypervisor).name("bob")));
    calls.put("StartVirtualMachinesMetadataSync", () -> bob.startVirtualMachinesMetadataSync(r -> r.hypervisorArn(hypervisor)));
    calls.put("GetHypervisorPropertyMappings", () -> bob.getHypervisorPropertyMappings(r -> r.hypervisorArn(hypervisor)));
    calls.put("ListTagsForResource", () -> bob.listTagsForResource(r -> r.resourceArn(gw)));
    calls.put("TagResource", () -> bob.tagResource(r -> r.resourceARN(gw).tags(Tag.builder().key("k").value("bob").build())));
    calls.put("UntagResource", () -> bob.untagResource(r -> r.resourceARN(gw).tagKeys("k")));
    calls.put("DeleteHypervisor", () -> bob.deleteHypervisor(r -> r.hypervisorArn(hypervisor)));
    calls.put("DeleteGateway", () -> bob.deleteGateway(r -> r.gatewayArn(gw)));
    calls.forEach((name, call) -> assertThrows(ResourceNotFoundException.class, call, name));
    assertEquals(List.of(), bob.listGateways(r -> { }).gateways());
    assertEquals(List.of(), bob.listHypervisors(r -> { }).hypervisors());

    GatewayDetails still = alice.api().getGateway(r -> r.gatewayArn(gw)).gateway();
    assertEquals("site-a", still.gatewayDisplayName());
    assertEquals(hypervisor.substring(hypervisor.lastIndexOf('/') + 1), still.hypervisorId());
    assertEquals("vc", alice.api().getHypervisor(r -> r.hypervisorArn(hypervisor)).hypervisor().name());
    assertEquals("v", alice.api().listTagsForResource(r -> r.resourceArn(gw)).tags().get(0).value());
  }

  static Reply claim(Site s, String pollToken) {
    return s.gateway().postRaw("/activations/claim", new JsonObject().put("pollToken", pollToken).encode(), null);
  }
}
