package dev.vaultgate.coordinator.notify;

import static dev.vaultgate.coordinator.testing.TestCoordinator.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupVaultEvent;
import software.amazon.awssdk.services.backup.model.GetBackupVaultNotificationsResponse;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.InvalidParameterException;
import software.amazon.awssdk.services.sns.model.NotFoundException;
import software.amazon.awssdk.services.sns.model.SnsException;
import software.amazon.awssdk.services.sns.model.Subscription;
import software.amazon.awssdk.services.sns.model.Topic;

/**
 * The SNS subset the coordinator serves, through the real SDK's {@code sns} client (query
 * protocol, SigV4 service {@code sns}), beside the REST-JSON backup API on the same port.
 * Each test works in a fresh account.
 */
class SnsApiTest {

  static TestCoordinator env;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
  }

  private static SnsClient sns(AccessKey key) {
    return TestCoordinator.sns(env.endpoint(), key);
  }

  @Test
  void topicsAreCreatedIdempotentlyListedDescribedAndDeleted() {
    AccessKey key = env.newAccount();
    try (SnsClient sns = sns(key)) {
      String name = unique("alerts");
      String arn = sns.createTopic(r -> r.name(name).attributes(Map.of("DisplayName", "Backup alerts"))).topicArn();
      assertEquals("arn:aws:sns:us-east-1:" + key.accountId() + ":" + name, arn);
      assertEquals(arn, sns.createTopic(r -> r.name(name)).topicArn(), "CreateTopic is idempotent");
      List<String> listed = sns.listTopics().topics().stream().map(Topic::topicArn).toList();
      assertEquals(List.of(arn), listed);
      Map<String, String> attrs = sns.getTopicAttributes(r -> r.topicArn(arn)).attributes();
      assertEquals(arn, attrs.get("TopicArn"));
      assertEquals(key.accountId(), attrs.get("Owner"));
      assertEquals("Backup alerts", attrs.get("DisplayName"));
      assertEquals("0", attrs.get("SubscriptionsConfirmed"));
      assertEquals("0", attrs.get("VaultgateDeliveriesDead"));
      sns.deleteTopic(r -> r.topicArn(arn));
      assertTrue(sns.listTopics().topics().isEmpty());
      NotFoundException gone = assertThrows(NotFoundException.class, () -> sns.getTopicAttributes(r -> r.topicArn(arn)));
      assertEquals(404, gone.statusCode());
      assertTrue(gone.awsErrorDetails().errorMessage().contains(arn), gone.getMessage());
    }
  }

  @Test
  void listTopicsPagesWithNextToken() {
    AccessKey key = env.newAccount();
    try (SnsClient sns = sns(key)) {
      for (int i = 0; i < SnsOperations.PAGE + 3; i++) {
        int n = i;
        sns.createTopic(r -> r.name(String.format("t%03d", n)));
      }
      List<String> all = sns.listTopicsPaginator().topics().stream().map(Topic::topicArn).toList();
      assertEquals(SnsOperations.PAGE + 3, all.size());
      assertEquals(all.stream().distinct().count(), all.size());
    }
  }

  @Test
  void aSubscriptionIsPendingUntilConfirmedWithItsTokenThenListedAndRemoved() {
    AccessKey key = env.newAccount();
    try (SnsClient sns = sns(key)) {
      String topic = sns.createTopic(r -> r.name("ops")).topicArn();
      String first = sns.subscribe(r -> r.topicArn(topic).protocol("https").endpoint("https://hooks.example.com/vg")
          .attributes(Map.of("SigningSecret", "0123456789abcdef-secret"))).subscriptionArn();
      assertEquals("pending confirmation", first, "as SNS answers before the endpoint confirmed");
      String hook = sns.subscribe(r -> r.topicArn(topic).protocol("https").endpoint("https://hooks.example.com/vg")
          .returnSubscriptionArn(true)).subscriptionArn();
      assertTrue(hook.startsWith(topic + ":"), hook);
      List<Subscription> subs = sns.listSubscriptionsByTopic(r -> r.topicArn(topic)).subscriptions();
      assertEquals(1, subs.size(), "the same endpoint subscribes once");
      assertEquals("PendingConfirmation", subs.get(0).subscriptionArn());
      assertEquals("https", subs.get(0).protocol());
      assertEquals("https://hooks.example.com/vg", subs.get(0).endpoint());
      assertEquals(key.accountId(), subs.get(0).owner());
      Map<String, String> attrs = sns.getTopicAttributes(r -> r.topicArn(topic)).attributes();
      assertEquals("0", attrs.get("SubscriptionsConfirmed"));
      assertEquals("1", attrs.get("SubscriptionsPending"));

      // each Subscribe queued a SubscriptionConfirmation for the endpoint, carrying the token
      List<JsonObject> confirmations = confirmations(hook);
      assertEquals(2, confirmations.size());
      JsonObject message = confirmations.get(0);
      assertEquals("SubscriptionConfirmation", message.getString("Type"));
      assertEquals(topic, message.getString("TopicArn"));
      String token = message.getString("Token");
      assertTrue(message.getString("SubscribeURL").startsWith(env.endpoint() + "/?Action=ConfirmSubscription&TopicArn="),
          message.getString("SubscribeURL"));
      assertTrue(message.getString("SubscribeURL").endsWith("&Token=" + token));

      InvalidParameterException wrong = assertThrows(InvalidParameterException.class,
          () -> sns.confirmSubscription(r -> r.topicArn(topic).token("0".repeat(64))));
      assertTrue(wrong.awsErrorDetails().errorMessage().contains("token"), wrong.getMessage());
      assertEquals(hook, sns.confirmSubscription(r -> r.topicArn(topic).token(token)).subscriptionArn());
      assertEquals(hook, sns.listSubscriptionsByTopic(r -> r.topicArn(topic)).subscriptions().get(0).subscriptionArn());
      assertEquals("1", sns.getTopicAttributes(r -> r.topicArn(topic)).attributes().get("SubscriptionsConfirmed"));
      assertEquals(hook, sns.subscribe(r -> r.topicArn(topic).protocol("https").endpoint("https://hooks.example.com/vg"))
          .subscriptionArn(), "a confirmed subscription's ARN is answered");

      String other = sns.createTopic(r -> r.name("other")).topicArn();
      sns.subscribe(r -> r.topicArn(other).protocol("http").endpoint("http://10.0.0.1/x"));
      assertEquals(List.of("PendingConfirmation", hook).stream().sorted().toList(),
          sns.listSubscriptions().subscriptions().stream().map(Subscription::subscriptionArn).sorted().toList(),
          "ListSubscriptions: every topic of the account");
      sns.unsubscribe(r -> r.subscriptionArn(hook));
      assertTrue(sns.listSubscriptionsByTopic(r -> r.topicArn(topic)).subscriptions().isEmpty());
      assertTrue(confirmations(hook).isEmpty(), "its waiting deliveries went with it");
      assertThrows(NotFoundException.class, () -> sns.unsubscribe(r -> r.subscriptionArn(hook)));
    }
  }

  @Test
  void theSubscribeUrlConfirmsWithoutCredentials() throws Exception {
    AccessKey key = env.newAccount();
    try (SnsClient sns = sns(key)) {
      String topic = sns.createTopic(r -> r.name("link")).topicArn();
      String arn = sns.subscribe(r -> r.topicArn(topic).protocol("http").endpoint("http://10.0.0.2/hook")
          .returnSubscriptionArn(true)).subscriptionArn();
      String url = confirmations(arn).get(0).getString("SubscribeURL");
      java.net.http.HttpResponse<String> bad = HTTP.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(url.replaceAll("Token=[0-9a-f]+", "Token=forged"))).GET().build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(400, bad.statusCode());
      assertTrue(bad.body().contains("<Code>InvalidParameter</Code>"), bad.body());
      java.net.http.HttpResponse<String> ok = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
          .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.body().contains("<ConfirmSubscriptionResult><SubscriptionArn>" + arn + "</SubscriptionArn>"), ok.body());
      assertEquals(arn, sns.listSubscriptionsByTopic(r -> r.topicArn(topic)).subscriptions().get(0).subscriptionArn());
    }
  }

  static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

  /** The SubscriptionConfirmation messages waiting in the outbox for a subscription, oldest first. */
  private static List<JsonObject> confirmations(String subscriptionArn) {
    List<JsonObject> out = new java.util.ArrayList<>();
    TestCoordinator.await(env.coordinator.pool().preparedQuery("SELECT body FROM notification_outbox"
            + " WHERE subscription_arn = $1 AND event_type = 'SubscriptionConfirmation' ORDER BY delivery_id")
        .execute(io.vertx.sqlclient.Tuple.of(subscriptionArn))).forEach(row -> out.add((JsonObject) row.getValue(0)));
    return out;
  }

  @Test
  void aGeneratedSigningSecretIsAnsweredOnceInTheSubscribeResult() {
    AccessKey key = env.newAccount();
    try (SnsClient sns = sns(key)) {
      String topic = sns.createTopic(r -> r.name("hooks")).topicArn();
      String form = "Action=Subscribe&Version=2010-03-31&TopicArn=" + encode(topic)
          + "&Protocol=https&Endpoint=" + encode("https://hooks.example.com/a");
      SignedHttp.Response first = SignedHttp.send(env.endpoint(), key, "sns",
          "application/x-www-form-urlencoded; charset=utf-8", "/", form);
      assertEquals(200, first.status(), first.body());
      assertTrue(first.body().matches("(?s).*<SubscribeResult><SubscriptionArn>[^<]+</SubscriptionArn>"
          + "<SigningSecret>whsec_[A-Za-z0-9_-]{43}</SigningSecret></SubscribeResult>.*"), first.body());
      SignedHttp.Response second = SignedHttp.send(env.endpoint(), key, "sns",
          "application/x-www-form-urlencoded; charset=utf-8", "/", form);
      assertEquals(200, second.status());
      assertFalse(second.body().contains("SigningSecret"), "never shown again: " + second.body());
    }
  }

  @Test
  void badSubscriptionsAnswerSnsErrorsNamingTheProblem() {
    AccessKey key = env.newAccount();
    try (SnsClient sns = sns(key)) {
      String missing = "arn:aws:sns:us-east-1:" + key.accountId() + ":nope";
      NotFoundException unknown = assertThrows(NotFoundException.class,
          () -> sns.subscribe(r -> r.topicArn(missing).protocol("https").endpoint("https://h.example.com/")));
      assertEquals("NotFound", unknown.awsErrorDetails().errorCode());
      assertTrue(unknown.awsErrorDetails().errorMessage().contains(missing));

      String topic = sns.createTopic(r -> r.name("t")).topicArn();
      InvalidParameterException badUrl = assertThrows(InvalidParameterException.class,
          () -> sns.subscribe(r -> r.topicArn(topic).protocol("https").endpoint("http://plain.example.com/")));
      assertEquals(400, badUrl.statusCode());
      assertTrue(badUrl.awsErrorDetails().errorMessage().contains("http://plain.example.com/"));
      InvalidParameterException badMail = assertThrows(InvalidParameterException.class,
          () -> sns.subscribe(r -> r.topicArn(topic).protocol("email").endpoint("not-an-address")));
      assertTrue(badMail.awsErrorDetails().errorMessage().contains("not-an-address"));
      InvalidParameterException sqs = assertThrows(InvalidParameterException.class,
          () -> sns.subscribe(r -> r.topicArn(topic).protocol("sqs").endpoint("arn:aws:sqs:us-east-1:1:q")));
      assertTrue(sqs.awsErrorDetails().errorMessage().contains("sqs"));
      InvalidParameterException shortSecret = assertThrows(InvalidParameterException.class,
          () -> sns.subscribe(r -> r.topicArn(topic).protocol("https").endpoint("https://h.example.com/")
              .attributes(Map.of("SigningSecret", "short"))));
      assertTrue(shortSecret.awsErrorDetails().errorMessage().contains("SigningSecret"));
      // this coordinator has no SMTP relay configured
      InvalidParameterException noRelay = assertThrows(InvalidParameterException.class,
          () -> sns.subscribe(r -> r.topicArn(topic).protocol("email").endpoint("ops@example.com")));
      assertTrue(noRelay.awsErrorDetails().errorMessage().contains("VAULTGATE_SMTP_HOST"));
      InvalidParameterException badName = assertThrows(InvalidParameterException.class,
          () -> sns.createTopic(r -> r.name("has space")));
      assertTrue(badName.awsErrorDetails().errorMessage().contains("has space"));
      assertTrue(sns.listSubscriptionsByTopic(r -> r.topicArn(topic)).subscriptions().isEmpty(), "nothing stored");
    }
  }

  @Test
  void anotherAccountsTopicIsNotFound() {
    AccessKey owner = env.newAccount();
    AccessKey other = env.newAccount();
    try (SnsClient a = sns(owner); SnsClient b = sns(other)) {
      String topic = a.createTopic(r -> r.name("private")).topicArn();
      assertThrows(NotFoundException.class, () -> b.getTopicAttributes(r -> r.topicArn(topic)));
      assertThrows(NotFoundException.class,
          () -> b.subscribe(r -> r.topicArn(topic).protocol("https").endpoint("https://evil.example.com/")));
      assertTrue(b.listTopics().topics().isEmpty());
    }
  }

  @Test
  void aBadSignatureOrAnUnknownActionIsAnSnsXmlError() {
    AccessKey key = env.newAccount();
    AccessKey forged = new AccessKey(key.accessKeyId(), "wrong-secret", key.accountId());
    try (SnsClient sns = sns(forged)) {
      SnsException e = assertThrows(SnsException.class, () -> sns.listTopics());
      assertEquals(403, e.statusCode());
    }
    SignedHttp.Response r = SignedHttp.send(env.endpoint(), key, "sns", "application/x-www-form-urlencoded", "/",
        "Action=Publish&Version=2010-03-31&TopicArn=x&Message=m");
    assertEquals(400, r.status());
    assertTrue(r.body().contains("<Code>InvalidAction</Code>"), r.body());
  }

  @Test
  void postsToTheRootThatAreNotSnsFormsPassToTheOtherFronts() {
    AccessKey key = env.newAccount();
    SignedHttp.Response json = SignedHttp.send(env.endpoint(), key, "POST", "/", "{}");
    assertEquals("UnknownOperationException", json.header("x-amzn-ErrorType"), json.body());
    SignedHttp.Response formWithoutAction = SignedHttp.send(env.endpoint(), key, "backup",
        "application/x-www-form-urlencoded", "/", "Version=2010-03-31");
    assertEquals("UnknownOperationException", formWithoutAction.header("x-amzn-ErrorType"), formWithoutAction.body());
  }

  @Test
  void vaultNotificationsNameAwsEventsAndTheBackupApiStillAnswersBeside() {
    AccessKey key = env.newAccount();
    BackupClient backup = env.client(key);
    try (SnsClient sns = sns(key)) {
      String topic = sns.createTopic(r -> r.name("vault-events")).topicArn();
      String vault = unique("notify");
      backup.createBackupVault(r -> r.backupVaultName(vault));
      backup.putBackupVaultNotifications(r -> r.backupVaultName(vault).snsTopicArn(topic)
          .backupVaultEvents(BackupVaultEvent.BACKUP_JOB_COMPLETED, BackupVaultEvent.RESTORE_JOB_COMPLETED));
      GetBackupVaultNotificationsResponse got = backup.getBackupVaultNotifications(r -> r.backupVaultName(vault));
      assertEquals(topic, got.snsTopicArn());
      assertEquals(List.of(BackupVaultEvent.BACKUP_JOB_COMPLETED, BackupVaultEvent.RESTORE_JOB_COMPLETED),
          got.backupVaultEvents());
      // an event name AWS does not have is refused by the model's enum before anything is stored
      SignedHttp.Response bad = SignedHttp.send(env.endpoint(), key, "PUT",
          "/backup-vaults/" + vault + "/notification-configuration",
          "{\"SNSTopicArn\":\"" + topic + "\",\"BackupVaultEvents\":[\"BACKUP_JOB_EXPLODED\"]}");
      assertEquals(400, bad.status(), bad.body());
      assertTrue(bad.body().contains("BACKUP_JOB_EXPLODED"), bad.body());
      assertEquals(List.of(BackupVaultEvent.BACKUP_JOB_COMPLETED, BackupVaultEvent.RESTORE_JOB_COMPLETED),
          backup.getBackupVaultNotifications(r -> r.backupVaultName(vault)).backupVaultEvents());
    }
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void snsCallsReachTheActivityLogWithTheSigningSecretHidden() throws Exception {
    AccessKey key = env.newAccount();
    String secret = "0123456789abcdef-" + unique("secret");
    try (SnsClient sns = sns(key)) {
      String topic = sns.createTopic(r -> r.name(unique("audited"))).topicArn();
      sns.subscribe(r -> r.topicArn(topic).protocol("https").endpoint("https://127.0.0.1:9/hook")
          .attributes(Map.of("SigningSecret", secret)));
    }
    env.coordinator.activityLog().flush().toCompletionStage().toCompletableFuture().get();
    try (var trail = software.amazon.awssdk.services.cloudtrail.CloudTrailClient.builder()
        .endpointOverride(env.endpoint())
        .region(software.amazon.awssdk.regions.Region.US_EAST_1)
        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .build()) {
      var events = trail.lookupEvents(r -> r.lookupAttributes(a -> a.attributeKey("EventName").attributeValue("Subscribe")))
          .events();
      assertEquals(1, events.size(), events.toString());
      String record = events.get(0).cloudTrailEvent();
      assertTrue(record.contains("\"eventSource\":\"sns.amazonaws.com\""), record);
      assertFalse(record.contains(secret), "the signing secret never reaches the log: " + record);
      assertTrue(record.contains("HIDDEN_DUE_TO_SECURITY_REASONS"), record);
    }
  }

  @Test
  void mapParametersAreFoldedSoTheirSecretMembersCanBeRedacted() {
    JsonObject in = SnsQueryFront.observedInput(new java.util.LinkedHashMap<>(Map.of(
        "Action", "Subscribe", "Version", "2010-03-31", "TopicArn", "arn:t",
        "Attributes.entry.1.key", "SigningSecret", "Attributes.entry.1.value", "s3cr3t")));
    assertEquals(new JsonObject().put("TopicArn", "arn:t").put("Attributes", new JsonObject().put("SigningSecret", "s3cr3t")),
        in);
  }
}
