package dev.vaultgate.coordinator.notify;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The SNS operations the coordinator serves as the topics vault notifications go to: CreateTopic,
 * DeleteTopic, ListTopics, GetTopicAttributes, Subscribe, Unsubscribe, ListSubscriptionsByTopic,
 * ListSubscriptions, ConfirmSubscription. As in SNS, a subscription gets notifications only after its
 * endpoint confirmed it with the token of the SubscriptionConfirmation message it was sent.
 * Each takes the request's form parameters and answers the XML inside its {@code <...Result>}.
 * Errors use SNS's codes: {@code InvalidParameter} (400), {@code NotFound} (404).
 */
final class SnsOperations {

  /** A handler: the caller and the decoded form parameters, to the inner XML of the result (may be empty). */
  interface Operation {
    Future<String> handle(SnsCall call, Map<String, String> params);
  }

  /**
   * Who calls (null account: an unsigned ConfirmSubscription, which only the token authorizes),
   * when, and the URL this coordinator is reached at (the SubscribeURL of confirmations).
   */
  record SnsCall(String accountId, Instant receivedAt, String baseUrl) {}

  static final int PAGE = 100;
  private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9_-]{1,256}");
  private static final int MIN_SECRET = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final TopicStore topics;
  private final String region;
  private final boolean emailEnabled;
  private final NotifyConfig config;

  SnsOperations(TopicStore topics, String region, NotifyConfig config) {
    this.topics = topics;
    this.region = region;
    this.config = config;
    this.emailEnabled = config.smtp() != null;
  }

  Map<String, Operation> operations() {
    Map<String, Operation> ops = new LinkedHashMap<>();
    ops.put("CreateTopic", this::createTopic);
    ops.put("DeleteTopic", this::deleteTopic);
    ops.put("ListTopics", this::listTopics);
    ops.put("GetTopicAttributes", this::getTopicAttributes);
    ops.put("Subscribe", this::subscribe);
    ops.put("Unsubscribe", this::unsubscribe);
    ops.put("ListSubscriptionsByTopic", this::listSubscriptions);
    ops.put("ListSubscriptions", this::listAllSubscriptions);
    ops.put("ConfirmSubscription", this::confirmSubscription);
    return ops;
  }

  private Future<String> createTopic(SnsCall call, Map<String, String> p) {
    String name = required(p, "Name");
    if (!TOPIC_NAME.matcher(name).matches()) {
      throw invalid("Invalid parameter: Topic Name " + name + " must be 1 to 256 ASCII letters, digits, '_' or '-'"
          + (name.endsWith(".fifo") ? " (FIFO topics are not supported by Vaultgate)" : ""));
    }
    Map<String, String> attributes = map(p, "Attributes.entry");
    String displayName = null;
    for (Map.Entry<String, String> a : attributes.entrySet()) {
      switch (a.getKey()) {
        case "DisplayName" -> displayName = a.getValue();
        default -> throw invalid("Invalid parameter: Attributes Reason: attribute " + a.getKey()
            + " is not supported by Vaultgate (only DisplayName)");
      }
    }
    String arn = "arn:aws:sns:" + region + ":" + call.accountId() + ":" + name;
    return topics.create(new TopicStore.Topic(arn, call.accountId(), name, displayName, call.receivedAt()))
        .map(t -> SnsXml.element("TopicArn", t.arn()));
  }

  private Future<String> deleteTopic(SnsCall call, Map<String, String> p) {
    String arn = topicArn(p);
    // SNS answers success for a topic that is already gone: DeleteTopic is idempotent
    return topics.delete(call.accountId(), arn).map(deleted -> "");
  }

  private Future<String> listTopics(SnsCall call, Map<String, String> p) {
    String after = token(p.get("NextToken"));
    return topics.list(call.accountId(), after, PAGE + 1).map(list -> {
      StringBuilder xml = new StringBuilder("<Topics>");
      for (int i = 0; i < Math.min(PAGE, list.size()); i++) {
        xml.append("<member>").append(SnsXml.element("TopicArn", list.get(i).arn())).append("</member>");
      }
      xml.append("</Topics>");
      if (list.size() > PAGE) xml.append(SnsXml.element("NextToken", nextToken(list.get(PAGE - 1).arn())));
      return xml.toString();
    });
  }

  private Future<String> getTopicAttributes(SnsCall call, Map<String, String> p) {
    String arn = topicArn(p);
    return existing(call, arn).compose(t -> topics.subscriptionCounts(arn)
        .compose(subscribed -> topics.deliveryCounts(arn).map(counts -> {
          Map<String, String> a = new LinkedHashMap<>();
          a.put("TopicArn", t.arn());
          a.put("Owner", t.accountId());
          if (t.displayName() != null) a.put("DisplayName", t.displayName());
          a.put("SubscriptionsConfirmed", Long.toString(subscribed.confirmed()));
          a.put("SubscriptionsPending", Long.toString(subscribed.pending()));
          a.put("SubscriptionsDeleted", "0");
          a.put("EffectiveDeliveryPolicy", deliveryPolicy());
          // not SNS: what the outbox holds for this topic, so an operator sees stuck and dead deliveries
          a.put("VaultgateDeliveriesPending", Long.toString(counts.pending()));
          a.put("VaultgateDeliveriesDead", Long.toString(counts.dead()));
          StringBuilder xml = new StringBuilder("<Attributes>");
          a.forEach((k, v) -> xml.append("<entry>").append(SnsXml.element("key", k)).append(SnsXml.element("value", v))
              .append("</entry>"));
          return xml.append("</Attributes>").toString();
        })));
  }

  private String deliveryPolicy() {
    RetryPolicy r = config.retry();
    return new JsonObject().put("http", new JsonObject().put("defaultHealthyRetryPolicy", new JsonObject()
        .put("minDelayTarget", r.base().toSeconds()).put("maxDelayTarget", r.cap().toSeconds())
        .put("backoffFunction", "exponential").put("maxAgeSeconds", r.maxAge().toSeconds()))).encode();
  }

  private Future<String> subscribe(SnsCall call, Map<String, String> p) {
    String arn = topicArn(p);
    String protocol = required(p, "Protocol").toLowerCase(Locale.ROOT);
    String endpoint = p.get("Endpoint");
    String problem = SubscriptionEndpoint.problem(protocol, endpoint);
    if (problem != null) throw invalid(problem);
    boolean webhook = protocol.startsWith("http");
    if (!webhook && !emailEnabled) {
      throw invalid("Invalid parameter: Protocol " + protocol + ": e-mail delivery is not configured on this"
          + " coordinator (set VAULTGATE_SMTP_HOST)");
    }
    String secret = null;
    for (Map.Entry<String, String> a : map(p, "Attributes.entry").entrySet()) {
      if (a.getKey().equals("SigningSecret") && webhook) {
        secret = a.getValue();
        if (secret.length() < MIN_SECRET) {
          throw invalid("Invalid parameter: Attributes Reason: SigningSecret must be at least " + MIN_SECRET
              + " characters");
        }
      } else {
        throw invalid("Invalid parameter: Attributes Reason: attribute " + a.getKey() + " is not supported by"
            + " Vaultgate for protocol " + protocol + (webhook ? " (only SigningSecret)" : ""));
      }
    }
    boolean generated = webhook && secret == null;
    String signing = generated ? WebhookSignature.newSecret() : secret;
    boolean returnArn = "true".equalsIgnoreCase(p.get("ReturnSubscriptionArn"));
    TopicStore.Subscription wanted = new TopicStore.Subscription(arn + ":" + UUID.randomUUID(), arn, call.accountId(),
        protocol, endpoint, false);
    return topics.subscribe(wanted, signing, newToken(), token -> confirmation(call, arn, token)).map(s -> {
      if (s == null) throw notFound(arn);
      // as SNS: an unconfirmed subscription's ARN is only answered when asked for
      String xml = SnsXml.element("SubscriptionArn",
          s.subscription().confirmed() || returnArn ? s.subscription().arn() : "pending confirmation");
      // shown once: the receiver needs it to check X-Vaultgate-Signature, and it is never answered again
      if (s.created() && generated) xml += SnsXml.element("SigningSecret", signing);
      return xml;
    });
  }

  /** The SubscriptionConfirmation message SNS sends, with its token and the URL that confirms. */
  private static JsonObject confirmation(SnsCall call, String topicArn, String token) {
    String url = call.baseUrl() + "/?Action=ConfirmSubscription&TopicArn="
        + URLEncoder.encode(topicArn, StandardCharsets.UTF_8) + "&Token=" + token;
    return new JsonObject()
        .put("Type", "SubscriptionConfirmation")
        .put("MessageId", UUID.randomUUID().toString())
        .put("Token", token)
        .put("TopicArn", topicArn)
        .put("Subject", "Vaultgate notifications - subscription confirmation")
        .put("Message", "You have chosen to subscribe to the topic " + topicArn + ". To confirm the subscription,"
            + " visit the SubscribeURL included in this message: " + url)
        .put("SubscribeURL", url)
        .put("Timestamp", DateTimeFormatter.ISO_INSTANT.format(call.receivedAt().truncatedTo(ChronoUnit.MILLIS)));
  }

  private static String newToken() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private Future<String> confirmSubscription(SnsCall call, Map<String, String> p) {
    String arn = topicArn(p);
    String token = required(p, "Token");
    return topics.confirm(arn, token).map(s -> {
      if (s == null || (call.accountId() != null && !call.accountId().equals(s.accountId()))) {
        throw invalid("Invalid token: no subscription of " + arn + " was sent this token");
      }
      return SnsXml.element("SubscriptionArn", s.arn());
    });
  }

  private Future<String> unsubscribe(SnsCall call, Map<String, String> p) {
    String arn = required(p, "SubscriptionArn");
    return topics.unsubscribe(call.accountId(), arn).map(found -> {
      if (!found) throw ApiException.of("NotFound", "Subscription does not exist: " + arn);
      return "";
    });
  }

  private Future<String> listSubscriptions(SnsCall call, Map<String, String> p) {
    String arn = topicArn(p);
    String after = token(p.get("NextToken"));
    return existing(call, arn).compose(t -> topics.subscriptions(call.accountId(), arn, after, PAGE + 1))
        .map(SnsOperations::subscriptionPage);
  }

  private Future<String> listAllSubscriptions(SnsCall call, Map<String, String> p) {
    return topics.subscriptions(call.accountId(), null, token(p.get("NextToken")), PAGE + 1)
        .map(SnsOperations::subscriptionPage);
  }

  private static String subscriptionPage(List<TopicStore.Subscription> list) {
    StringBuilder xml = new StringBuilder("<Subscriptions>");
    for (int i = 0; i < Math.min(PAGE, list.size()); i++) {
      TopicStore.Subscription s = list.get(i);
      xml.append("<member>").append(SnsXml.element("TopicArn", s.topicArn()))
          .append(SnsXml.element("Protocol", s.protocol()))
          .append(SnsXml.element("SubscriptionArn", s.confirmed() ? s.arn() : "PendingConfirmation"))
          .append(SnsXml.element("Owner", s.accountId())).append(SnsXml.element("Endpoint", s.endpoint()))
          .append("</member>");
    }
    xml.append("</Subscriptions>");
    if (list.size() > PAGE) xml.append(SnsXml.element("NextToken", nextToken(list.get(PAGE - 1).arn())));
    return xml.toString();
  }

  private Future<TopicStore.Topic> existing(SnsCall call, String arn) {
    return topics.find(call.accountId(), arn).map(t -> {
      if (t == null) throw notFound(arn);
      return t;
    });
  }

  private static String topicArn(Map<String, String> p) {
    String arn = required(p, "TopicArn");
    if (!arn.startsWith("arn:aws:sns:")) throw invalid("Invalid parameter: TopicArn " + arn + " is not an SNS topic ARN");
    return arn;
  }

  static ApiException notFound(String topicArn) {
    return ApiException.of("NotFound", "Topic does not exist: " + topicArn);
  }

  static ApiException invalid(String message) {
    return ApiException.of("InvalidParameter", message);
  }

  private static String required(Map<String, String> p, String name) {
    String v = p.get(name);
    if (v == null || v.isEmpty()) throw invalid("Invalid parameter: " + name + " is required");
    return v;
  }

  /** {@code Prefix.N.key} / {@code Prefix.N.value} pairs, as the query protocol flattens a map. */
  static Map<String, String> map(Map<String, String> p, String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 1; p.containsKey(prefix + "." + i + ".key"); i++) {
      String key = p.get(prefix + "." + i + ".key");
      out.put(key, p.getOrDefault(prefix + "." + i + ".value", ""));
    }
    return out;
  }

  private static String nextToken(String lastArn) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(lastArn.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static String token(String token) {
    if (token == null || token.isEmpty()) return null;
    try {
      return new String(Base64.getUrlDecoder().decode(token), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid("Invalid parameter: NextToken " + token + " was not answered by this service");
    }
  }
}
