package dev.vaultgate.coordinator.backup;

import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.backup.BackupAsyncClient;
import software.amazon.awssdk.services.backup.model.AlreadyExistsException;
import software.amazon.awssdk.services.backup.model.BackupPlanInput;
import software.amazon.awssdk.services.backup.model.BackupPlansListMember;
import software.amazon.awssdk.services.backup.model.BackupRuleInput;
import software.amazon.awssdk.services.backup.model.Condition;
import software.amazon.awssdk.services.backup.model.ConditionParameter;
import software.amazon.awssdk.services.backup.model.ConditionType;
import software.amazon.awssdk.services.backup.model.CopyAction;
import software.amazon.awssdk.services.backup.model.CreateBackupPlanResponse;
import software.amazon.awssdk.services.backup.model.GetBackupPlanResponse;
import software.amazon.awssdk.services.backup.model.GetBackupSelectionResponse;
import software.amazon.awssdk.services.backup.model.InvalidParameterValueException;
import software.amazon.awssdk.services.backup.model.InvalidRequestException;
import software.amazon.awssdk.services.backup.model.ResourceNotFoundException;
import software.amazon.awssdk.services.backup.model.UpdateBackupPlanResponse;

/** Plans and selections through the real SDK v2 async client. */
class BackupPlanApiTest {

  static final String ROLE = "arn:aws:iam::000000000000:role/service-role/AWSBackupDefaultServiceRole";

  static TestCoordinator env;
  static BackupAsyncClient backup;
  static String vault;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    backup = env.asyncClient(env.admin());
    vault = unique("plans");
    join(backup.createBackupVault(r -> r.backupVaultName(vault)));
  }

  static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw (RuntimeException) e.getCause();
    }
  }

  static BackupPlanInput plan(String name, Consumer<BackupRuleInput.Builder> rule) {
    BackupRuleInput.Builder r = BackupRuleInput.builder().ruleName("daily").targetBackupVaultName(vault)
        .scheduleExpression("cron(0 5 ? * * *)");
    rule.accept(r);
    return BackupPlanInput.builder().backupPlanName(name).rules(r.build()).build();
  }

  static CreateBackupPlanResponse create(String name, Consumer<BackupRuleInput.Builder> rule) {
    return join(backup.createBackupPlan(r -> r.backupPlan(plan(name, rule))));
  }

  @Test
  void createdPlanIsReturnedWithRuleIdsAndAwsDefaults() {
    String name = unique("plan");
    CreateBackupPlanResponse created = create(name, r -> r
        .lifecycle(l -> l.moveToColdStorageAfterDays(30L).deleteAfterDays(120L))
        .recoveryPointTags(Map.of("k", "v")));
    assertNotNull(created.backupPlanId());
    assertEquals("arn:aws:backup:us-east-1:000000000000:backup-plan:" + created.backupPlanId(), created.backupPlanArn());
    assertNotNull(created.versionId());

    GetBackupPlanResponse got = join(backup.getBackupPlan(r -> r.backupPlanId(created.backupPlanId())));
    assertEquals(name, got.backupPlan().backupPlanName());
    assertEquals(created.versionId(), got.versionId());
    var rule = got.backupPlan().rules().get(0);
    assertNotNull(rule.ruleId());
    assertEquals("cron(0 5 ? * * *)", rule.scheduleExpression());
    assertEquals(480L, rule.startWindowMinutes());
    assertEquals(10080L, rule.completionWindowMinutes());
    assertEquals(120L, rule.lifecycle().deleteAfterDays());
    assertEquals(Map.of("k", "v"), rule.recoveryPointTags());
    assertNull(got.deletionDate());
  }

  /** ScheduleExpressionTimezone and ScheduledRunsPreview are newer than the 2.20.0 client: raw signed requests. */
  @Test
  void scheduledRunsPreviewFollowsTheCronInItsTimeZone() {
    String body = new JsonObject().put("BackupPlan", new JsonObject()
        .put("BackupPlanName", unique("preview"))
        .put("Rules", new JsonArray().add(new JsonObject().put("RuleName", "nightly").put("TargetBackupVaultName", vault)
            .put("ScheduleExpression", "cron(30 2 ? * * *)").put("ScheduleExpressionTimezone", "America/New_York")))).encode();
    SignedHttp.Response created = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup/plans/", body);
    assertEquals(200, created.status(), created.body());
    String planId = created.json().getString("BackupPlanId");

    SignedHttp.Response got = SignedHttp.send(env.endpoint(), env.admin(), "GET",
        "/backup/plans/" + planId + "/?MaxScheduledRunsPreview=3", null);
    assertEquals(200, got.status(), got.body());
    JsonObject rule = got.json().getJsonObject("BackupPlan").getJsonArray("Rules").getJsonObject(0);
    assertEquals("America/New_York", rule.getString("ScheduleExpressionTimezone"));
    JsonArray runs = got.json().getJsonArray("ScheduledRunsPreview");
    assertEquals(3, runs.size());
    for (int i = 0; i < runs.size(); i++) {
      JsonObject run = runs.getJsonObject(i);
      assertEquals(rule.getString("RuleId"), run.getString("RuleId"));
      Instant at = Instant.ofEpochMilli(Math.round(run.getDouble("ExecutionTime") * 1000));
      var local = at.atZone(java.time.ZoneId.of("America/New_York")).toLocalTime();
      assertTrue(local.equals(java.time.LocalTime.of(2, 30)) || local.equals(java.time.LocalTime.of(3, 30)), local.toString());
      assertTrue(at.isAfter(Instant.now()));
    }
  }

  @Test
  void unknownTimeZoneIsInvalidParameterValue() {
    String body = new JsonObject().put("BackupPlan", new JsonObject()
        .put("BackupPlanName", unique("tz"))
        .put("Rules", new JsonArray().add(new JsonObject().put("RuleName", "r").put("TargetBackupVaultName", vault)
            .put("ScheduleExpression", "cron(0 5 ? * * *)").put("ScheduleExpressionTimezone", "Mars/Olympus_Mons")))).encode();
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), env.admin(), "PUT", "/backup/plans/", body);
    assertEquals(400, r.status());
    assertEquals("InvalidParameterValueException", r.header("x-amzn-ErrorType"));
    assertTrue(r.json().getString("message").contains("Mars/Olympus_Mons"));
  }

  @Test
  void updateMakesANewVersionAndKeepsTheOldOne() {
    CreateBackupPlanResponse created = create(unique("upd"), r -> { });
    UpdateBackupPlanResponse updated = join(backup.updateBackupPlan(r -> r.backupPlanId(created.backupPlanId())
        .backupPlan(plan("renamed-" + created.backupPlanId().substring(0, 8), rule -> rule.startWindowMinutes(120L)))));
    assertNotEquals(created.versionId(), updated.versionId());

    GetBackupPlanResponse current = join(backup.getBackupPlan(r -> r.backupPlanId(created.backupPlanId())));
    assertEquals(updated.versionId(), current.versionId());
    assertEquals(120L, current.backupPlan().rules().get(0).startWindowMinutes());
    GetBackupPlanResponse old = join(backup.getBackupPlan(r -> r.backupPlanId(created.backupPlanId()).versionId(created.versionId())));
    assertEquals(480L, old.backupPlan().rules().get(0).startWindowMinutes());
    assertEquals(old.backupPlan().rules().get(0).ruleId(), current.backupPlan().rules().get(0).ruleId(),
        "a rule keeps its id across versions");

    List<String> versions = join(backup.listBackupPlanVersions(r -> r.backupPlanId(created.backupPlanId())))
        .backupPlanVersionsList().stream().map(BackupPlansListMember::versionId).collect(Collectors.toList());
    assertEquals(List.of(updated.versionId(), created.versionId()), versions);
  }

  @Test
  void deletedPlanLeavesTheListingButCanStillBeRead() {
    CreateBackupPlanResponse created = create(unique("gone"), r -> { });
    var deleted = join(backup.deleteBackupPlan(r -> r.backupPlanId(created.backupPlanId())));
    assertNotNull(deleted.deletionDate());
    assertEquals(created.versionId(), deleted.versionId());

    assertFalse(join(backup.listBackupPlans(r -> r.maxResults(1000))).backupPlansList().stream()
        .anyMatch(p -> p.backupPlanId().equals(created.backupPlanId())));
    assertTrue(join(backup.listBackupPlans(r -> r.includeDeleted(true).maxResults(1000))).backupPlansList().stream()
        .anyMatch(p -> p.backupPlanId().equals(created.backupPlanId()) && p.deletionDate() != null));
    assertNotNull(join(backup.getBackupPlan(r -> r.backupPlanId(created.backupPlanId()))).deletionDate());
    assertThrows(ResourceNotFoundException.class, () -> join(backup.deleteBackupPlan(r -> r.backupPlanId(created.backupPlanId()))));
  }

  @Test
  void listingPlansPagesWithNextToken() {
    for (int i = 0; i < 3; i++) create(unique("paged"), r -> { });
    int seen = 0;
    String token = null;
    do {
      String t = token;
      var page = join(backup.listBackupPlans(r -> r.maxResults(2).nextToken(t)));
      assertTrue(page.backupPlansList().size() <= 2);
      seen += page.backupPlansList().size();
      token = page.nextToken();
    } while (token != null);
    assertTrue(seen >= 3);
  }

  @Test
  void twoLivePlansCannotShareAName() {
    String name = unique("same");
    create(name, r -> { });
    assertThrows(AlreadyExistsException.class, () -> create(name, r -> { }));
  }

  @Test
  void unknownPlanIsResourceNotFound() {
    ResourceNotFoundException e = assertThrows(ResourceNotFoundException.class,
        () -> join(backup.getBackupPlan(r -> r.backupPlanId("00000000-0000-0000-0000-000000000000"))));
    assertEquals(400, e.statusCode());
    assertThrows(ResourceNotFoundException.class,
        () -> join(backup.listBackupPlanVersions(r -> r.backupPlanId("missing"))));
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "cron(0 5 * * * *)",       // both day fields set
    "cron(0 5 ? * *)",         // five fields
    "cron(61 5 ? * * *)",      // minute out of range
    "cron(0/15 * ? * * *)",    // more often than hourly
    "cron(0 5 ? * XYZ *)",     // unknown day name
    "rate(30 minutes)",        // more often than hourly
    "rate(1 hours)",           // plural for one
    "every day",
  })
  void invalidScheduleExpressionsAreInvalidParameterValue(String expression) {
    InvalidParameterValueException e = assertThrows(InvalidParameterValueException.class,
        () -> create(unique("cron"), r -> r.scheduleExpression(expression)));
    assertTrue(e.getMessage().contains("schedule expression"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"cron(0 5 ? * MON-FRI *)", "cron(0 0/4 * * ? *)", "cron(15 3 L * ? *)", "cron(0 1 ? * 6#3 *)", "rate(12 hours)", "rate(1 day)"})
  void validScheduleExpressionsAreAccepted(String expression) {
    assertNotNull(create(unique("ok"), r -> r.scheduleExpression(expression)).backupPlanId());
  }

  @Test
  void startWindowBelowSixtyMinutesIsInvalidParameterValue() {
    InvalidParameterValueException e = assertThrows(InvalidParameterValueException.class,
        () -> create(unique("win"), r -> r.startWindowMinutes(59L)));
    assertTrue(e.getMessage().contains("StartWindowMinutes"), e.getMessage());
  }

  @Test
  void deletingLessThanNinetyDaysAfterColdStorageIsInvalidParameterValue() {
    InvalidParameterValueException e = assertThrows(InvalidParameterValueException.class,
        () -> create(unique("cold"), r -> r.lifecycle(l -> l.moveToColdStorageAfterDays(30L).deleteAfterDays(119L))));
    assertTrue(e.getMessage().contains("90 days"), e.getMessage());
    assertNotNull(create(unique("cold-ok"), r -> r.lifecycle(l -> l.moveToColdStorageAfterDays(30L).deleteAfterDays(120L))));
  }

  @Test
  void copyActionsNeedAVaultArnAndAValidLifecycle() {
    String dest = "arn:aws:backup:us-west-2:000000000000:backup-vault:dr";
    assertNotNull(create(unique("copy"), r -> r.copyActions(CopyAction.builder().destinationBackupVaultArn(dest)
        .lifecycle(l -> l.deleteAfterDays(35L)).build())).backupPlanId());
    assertThrows(InvalidParameterValueException.class, () -> create(unique("copy-bad"),
        r -> r.copyActions(CopyAction.builder().destinationBackupVaultArn("arn:aws:s3:::bucket").build())));
    assertThrows(InvalidParameterValueException.class, () -> create(unique("copy-cold"),
        r -> r.copyActions(CopyAction.builder().destinationBackupVaultArn(dest)
            .lifecycle(l -> l.moveToColdStorageAfterDays(10L).deleteAfterDays(20L)).build())));
  }

  @Test
  void ruleNamesAreUniqueWithinAPlan() {
    BackupRuleInput rule = BackupRuleInput.builder().ruleName("same").targetBackupVaultName(vault).build();
    assertThrows(InvalidParameterValueException.class, () -> join(backup.createBackupPlan(r -> r
        .backupPlan(p -> p.backupPlanName(unique("twice")).rules(rule, rule)))));
  }

  @Test
  void selectionsAreCreatedReadListedAndDeleted() {
    String planId = create(unique("sel"), r -> { }).backupPlanId();
    var created = join(backup.createBackupSelection(r -> r.backupPlanId(planId).backupSelection(s -> s
        .selectionName("by-tag").iamRoleArn(ROLE)
        .listOfTags(Condition.builder().conditionType(ConditionType.STRINGEQUALS).conditionKey("backup").conditionValue("daily").build())
        .resources("arn:aws:backup-gateway:us-east-1:000000000000:vm/*")
        .notResources("arn:aws:backup-gateway:us-east-1:000000000000:vm/vm-scratch")
        .conditions(c -> c.stringLike(ConditionParameter.builder().conditionKey("aws:ResourceTag/env").conditionValue("prod*").build())))));
    assertEquals(planId, created.backupPlanId());

    GetBackupSelectionResponse got = join(backup.getBackupSelection(r -> r.backupPlanId(planId).selectionId(created.selectionId())));
    assertEquals("by-tag", got.backupSelection().selectionName());
    assertEquals("backup", got.backupSelection().listOfTags().get(0).conditionKey());
    assertEquals("prod*", got.backupSelection().conditions().stringLike().get(0).conditionValue());
    assertEquals(List.of("arn:aws:backup-gateway:us-east-1:000000000000:vm/*"), got.backupSelection().resources());

    var listed = join(backup.listBackupSelections(r -> r.backupPlanId(planId))).backupSelectionsList();
    assertEquals(1, listed.size());
    assertEquals(ROLE, listed.get(0).iamRoleArn());

    assertThrows(AlreadyExistsException.class, () -> join(backup.createBackupSelection(r -> r.backupPlanId(planId)
        .backupSelection(s -> s.selectionName("by-tag").iamRoleArn(ROLE)))));

    InvalidRequestException e = assertThrows(InvalidRequestException.class,
        () -> join(backup.deleteBackupPlan(r -> r.backupPlanId(planId))));
    assertTrue(e.getMessage().contains("selections"), e.getMessage());

    join(backup.deleteBackupSelection(r -> r.backupPlanId(planId).selectionId(created.selectionId())));
    assertThrows(ResourceNotFoundException.class,
        () -> join(backup.getBackupSelection(r -> r.backupPlanId(planId).selectionId(created.selectionId()))));
    join(backup.deleteBackupPlan(r -> r.backupPlanId(planId)));
  }

  @Test
  void selectionOnAnUnknownPlanIsResourceNotFound() {
    Exception e = assertThrows(ResourceNotFoundException.class, () -> join(backup.createBackupSelection(r -> r
        .backupPlanId("missing-plan").backupSelection(s -> s.selectionName("x").iamRoleArn(ROLE)))));
    assertInstanceOf(ResourceNotFoundException.class, e);
  }

  @Test
  void planTagsAreListedByThePlanArn() {
    String arn = join(backup.createBackupPlan(r -> r.backupPlan(plan(unique("tags"), x -> { }))
        .backupPlanTags(Map.of("owner", "ops")))).backupPlanArn();
    assertEquals(Map.of("owner", "ops"), join(backup.listTags(r -> r.resourceArn(arn))).tags());
  }
}
