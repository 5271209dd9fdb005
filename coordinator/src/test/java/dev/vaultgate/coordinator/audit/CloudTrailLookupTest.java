package dev.vaultgate.coordinator.audit;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.AgentClient;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.cloudtrail.CloudTrailClient;
import software.amazon.awssdk.services.cloudtrail.model.Event;
import software.amazon.awssdk.services.cloudtrail.model.LookupAttribute;
import software.amazon.awssdk.services.cloudtrail.model.LookupEventsRequest;
import software.amazon.awssdk.services.cloudtrail.model.LookupEventsResponse;

/**
 * CloudTrail's LookupEvents at the wire level, with the real SDK {@code cloudtrail} client 2.20.0:
 * the calls an account made through the AWS Backup API and the agent API, filtered by every lookup
 * attribute and by time, paged with NextToken, isolated per account; bad input answers
 * CloudTrail's own error types.
 */
class CloudTrailLookupTest {

  static TestCoordinator env;
  static AccessKey key;
  static CloudTrailClient trail;
  static String vault;
  static AgentClient gateway;
  static Instant before;

  @BeforeAll
  static void someActivity() {
    env = TestCoordinator.get();
    key = env.newAccount();
    trail = client(key);
    before = Instant.now().minusSeconds(1);
    BackupClient backup = env.client(key);
    vault = TestCoordinator.unique("trail");
    backup.createBackupVault(r -> r.backupVaultName(vault));
    backup.describeBackupVault(r -> r.backupVaultName(vault));
    backup.listBackupVaults(r -> {});
    backup.createBackupVault(r -> r.backupVaultName(vault + "-2"));
    gateway = AgentClient.register(env.endpoint(), key, "trail-site");
    gateway.post("/heartbeat", new JsonObject());
    // the heartbeat, the last call, is told to the log just after its answer: wait until it is in
    long deadline = System.currentTimeMillis() + 5_000;
    while (System.currentTimeMillis() < deadline && lookup("Username", gateway.gatewayId).isEmpty()) {
      await(env.coordinator.activityLog().flush());
    }
  }

  static CloudTrailClient client(AccessKey k) {
    return CloudTrailClient.builder()
        .endpointOverride(env.endpoint())
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(k.accessKeyId(), k.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  static List<Event> lookup(String attribute, String value) {
    return trail.lookupEvents(r -> r.lookupAttributes(LookupAttribute.builder().attributeKey(attribute)
        .attributeValue(value).build())).events();
  }

  static List<String> names(List<Event> events) {
    return events.stream().map(Event::eventName).toList();
  }

  @Test
  void eventNameLookupAnswersTheCallWithItsResourcesAndRecord() {
    List<Event> creates = lookup("EventName", "CreateBackupVault");
    assertEquals(2, creates.size(), names(creates).toString());
    Event newest = creates.get(0);
    assertEquals("backup.amazonaws.com", newest.eventSource());
    assertEquals(key.accessKeyId(), newest.accessKeyId());
    assertEquals(key.accessKeyId(), newest.username());
    assertEquals("false", newest.readOnly());
    assertEquals(vault + "-2", newest.resources().get(0).resourceName());
    assertEquals("AWS::Backup::BackupVault", newest.resources().get(0).resourceType());
    assertTrue(!newest.eventTime().isBefore(before.minusSeconds(1)), newest.eventTime().toString());
    JsonObject record = new JsonObject(newest.cloudTrailEvent());
    assertEquals("CreateBackupVault", record.getString("eventName"));
    assertEquals(newest.eventId(), record.getString("eventID"));
    assertEquals(key.accountId(), record.getString("recipientAccountId"));
    assertEquals(vault + "-2", record.getJsonObject("requestParameters").getString("BackupVaultName"));
  }

  @Test
  void everyLookupAttributeFilters() {
    assertEquals(List.of("CreateBackupVault"), names(lookup("ResourceName", vault + "-2")));
    List<Event> mine = lookup("AccessKeyId", key.accessKeyId());
    assertTrue(names(mine).containsAll(List.of("CreateBackupVault", "DescribeBackupVault", "ListBackupVaults",
        "RegisterGateway")), names(mine).toString());
    for (int i = 1; i < mine.size(); i++) {
      assertTrue(!mine.get(i).eventTime().isAfter(mine.get(i - 1).eventTime()), "newest first");
    }
    assertTrue(lookup("ReadOnly", "true").stream().allMatch(e -> e.readOnly().equals("true")));
    assertTrue(names(lookup("ReadOnly", "true")).containsAll(List.of("DescribeBackupVault", "ListBackupVaults")));
    assertTrue(lookup("ResourceType", "AWS::Backup::BackupVault").size() >= 3);
    List<Event> agent = lookup("EventSource", "backup-gateway.amazonaws.com");
    assertTrue(names(agent).containsAll(List.of("RegisterGateway", "GatewayHeartbeat")), names(agent).toString());
    assertEquals(List.of("GatewayHeartbeat"), names(lookup("Username", gateway.gatewayId)));
    String id = mine.get(0).eventId();
    assertEquals(List.of(id), lookup("EventId", id).stream().map(Event::eventId).toList());
    assertEquals(List.of(), lookup("EventName", "DeleteBackupVault"));
  }

  @Test
  void pagesWithNextTokenNeitherSkipNorRepeat() {
    // the AWS Backup calls only: lookups are recorded too (under the same key), and would add to the set
    Set<String> all = new HashSet<>(lookup("EventSource", "backup.amazonaws.com").stream().map(Event::eventId).toList());
    assertEquals(4, all.size());
    List<String> paged = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      String t = token;
      LookupEventsResponse page = trail.lookupEvents(r -> r.maxResults(3).nextToken(t).lookupAttributes(
          LookupAttribute.builder().attributeKey("EventSource").attributeValue("backup.amazonaws.com").build()));
      assertTrue(page.events().size() <= 3);
      page.events().forEach(e -> paged.add(e.eventId()));
      token = page.nextToken();
      pages++;
    } while (token != null && pages < 50);
    assertEquals(all.size(), paged.size(), "no event twice");
    assertEquals(all, new HashSet<>(paged));
    assertEquals(2, pages);
  }

  @Test
  void timeRangesSelectAndAnotherAccountSeesNothing() {
    Instant future = Instant.now().plusSeconds(3600);
    assertEquals(List.of(), trail.lookupEvents(r -> r.startTime(future)).events());
    assertTrue(trail.lookupEvents(r -> r.startTime(before).endTime(future)).events().size() >= 5);
    assertEquals(List.of(), trail.lookupEvents(r -> r.endTime(before.minusSeconds(3600))).events());
    try (CloudTrailClient other = client(env.newAccount())) {
      assertEquals(List.of(), other.lookupEvents(r -> r.lookupAttributes(LookupAttribute.builder()
          .attributeKey("ResourceName").attributeValue(vault).build())).events());
    }
  }

  static AwsServiceException refused(LookupEventsRequest request) {
    return assertThrows(AwsServiceException.class, () -> trail.lookupEvents(request));
  }

  @Test
  void badInputAnswersCloudTrailsErrorTypes() {
    AwsServiceException range = refused(LookupEventsRequest.builder().startTime(Instant.now())
        .endTime(Instant.now().minusSeconds(60)).build());
    assertEquals("InvalidTimeRangeException", range.awsErrorDetails().errorCode());
    assertEquals(400, range.statusCode());
    assertTrue(range.awsErrorDetails().errorMessage().contains("is after EndTime"));

    AwsServiceException unknown = refused(LookupEventsRequest.builder().lookupAttributes(LookupAttribute.builder()
        .attributeKey("Colour").attributeValue("blue").build()).build());
    assertEquals(400, unknown.statusCode());
    // an enum violation is caught by the model's validation before the operation, as AWS's own
    // JSON services answer it: ValidationException, naming the member and the allowed keys
    assertEquals("ValidationException", unknown.awsErrorDetails().errorCode(), unknown.awsErrorDetails().errorMessage());
    assertTrue(unknown.awsErrorDetails().errorMessage().contains("AttributeKey"));
    assertTrue(unknown.awsErrorDetails().errorMessage().contains("Colour"), unknown.awsErrorDetails().errorMessage());

    AwsServiceException two = refused(LookupEventsRequest.builder().lookupAttributes(
        LookupAttribute.builder().attributeKey("EventName").attributeValue("A").build(),
        LookupAttribute.builder().attributeKey("EventName").attributeValue("B").build()).build());
    assertEquals("InvalidLookupAttributesException", two.awsErrorDetails().errorCode());

    AwsServiceException readOnly = refused(LookupEventsRequest.builder().lookupAttributes(LookupAttribute.builder()
        .attributeKey("ReadOnly").attributeValue("maybe").build()).build());
    assertEquals("InvalidLookupAttributesException", readOnly.awsErrorDetails().errorCode());

    AwsServiceException token = refused(LookupEventsRequest.builder().nextToken("bm90IGEgdG9rZW4").build());
    assertEquals("InvalidNextTokenException", token.awsErrorDetails().errorCode());

    String issued = trail.lookupEvents(r -> r.maxResults(1)).nextToken();
    assertNotNull(issued);
    AwsServiceException otherParams = refused(LookupEventsRequest.builder().nextToken(issued).lookupAttributes(
        LookupAttribute.builder().attributeKey("EventName").attributeValue("CreateBackupVault").build()).build());
    assertEquals("InvalidNextTokenException", otherParams.awsErrorDetails().errorCode());
  }

  @Test
  void lookupsAreThemselvesRecorded() {
    trail.lookupEvents(r -> r.maxResults(1));
    List<Event> lookups = List.of();
    for (long end = System.currentTimeMillis() + 5_000; lookups.isEmpty() && System.currentTimeMillis() < end; ) {
      await(env.coordinator.activityLog().flush());
      lookups = lookup("EventName", "LookupEvents");
    }
    assertTrue(!lookups.isEmpty());
    assertTrue(lookups.stream().allMatch(e -> e.eventSource().equals("cloudtrail.amazonaws.com")
        && e.readOnly().equals("true")));
    // the one with MaxResults 1 (other tests' lookups, some refused, are recorded too)
    assertTrue(lookups.stream().map(e -> new JsonObject(e.cloudTrailEvent())).anyMatch(r -> r.getString("errorCode") == null
        && Integer.valueOf(1).equals(r.getJsonObject("requestParameters").getInteger("MaxResults"))));
  }
}
