package dev.vaultgate.coordinator.notify;

import dev.vaultgate.coordinator.auth.AccessKeyStore;
import dev.vaultgate.coordinator.auth.SigV4Verifier;
import dev.vaultgate.coordinator.auth.SigV4Verifier.SignedRequest;
import dev.vaultgate.coordinator.wire.ApiException;
import dev.vaultgate.coordinator.wire.ApiCall;
import dev.vaultgate.coordinator.wire.CallContext;
import dev.vaultgate.coordinator.wire.CallObserver;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front for SNS, an AWS <em>query</em>-protocol service: a form-encoded {@code POST /} with
 * {@code Action=...&Version=2010-03-31}, signed with SigV4 for service {@code sns}, answered in
 * XML ({@code <ActionResponse><ActionResult>...}) or an XML {@code ErrorResponse}. It takes only
 * form-encoded posts with an {@code Action} and passes everything else on ({@code ctx.next()}),
 * so the JSON fronts on {@code POST /} and the REST-JSON backup front still get theirs.
 */
public final class SnsQueryFront {

  private static final Logger LOG = LoggerFactory.getLogger(SnsQueryFront.class);
  private static final String VERSION = "2010-03-31";
  /** Operations whose model has no output: the response has no Result element. */
  private static final Set<String> NO_RESULT = Set.of("DeleteTopic", "Unsubscribe");

  /** A map entry's key parameter of the query protocol, {@code Attributes.entry.1.key}. */
  private static final java.util.regex.Pattern MAP_ENTRY_KEY =
      java.util.regex.Pattern.compile("[A-Za-z]+\\.entry\\.\\d+\\.key");

  private final SigV4Verifier verifier;
  private final AccessKeyStore keys;
  private final Map<String, SnsOperations.Operation> operations;
  private final Clock clock;
  private final long bodyLimit;
  private final String publicUrl;
  private final CallObserver observer;

  public SnsQueryFront(TopicStore topics, AccessKeyStore keys, String region, NotifyConfig config, Clock clock,
      long bodyLimit, CallObserver observer) {
    this.observer = observer;
    this.verifier = new SigV4Verifier("sns", region);
    this.keys = keys;
    this.operations = new SnsOperations(topics, region, config).operations();
    this.clock = clock;
    this.bodyLimit = bodyLimit;
    this.publicUrl = config.publicUrl();
  }

  /**
   * Mounts on {@code POST /}, and on {@code GET /?Action=ConfirmSubscription} (the SubscribeURL a
   * confirmation message carries); must come before the REST-JSON front, which takes every path.
   */
  public void mount(Router router) {
    router.post("/")
        .handler(BodyHandler.create(false).setBodyLimit(bodyLimit).setHandleFileUploads(false))
        .handler(this::handle);
    router.get("/").handler(this::handleConfirmationLink);
  }

  /** The link in a confirmation: unsigned, the token is the proof. */
  private void handleConfirmationLink(RoutingContext ctx) {
    if (!"ConfirmSubscription".equals(ctx.request().getParam("Action"))) {
      ctx.next();
      return;
    }
    Map<String, String> params = new LinkedHashMap<>();
    ctx.request().params().forEach(e -> params.putIfAbsent(e.getKey(), e.getValue()));
    String requestId = UUID.randomUUID().toString();
    Future<String> result;
    try {
      result = operations.get("ConfirmSubscription")
          .handle(new SnsOperations.SnsCall(null, clock.instant(), baseUrl(ctx.request())), params);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    answer(ctx, "ConfirmSubscription", params, null, result, requestId);
  }

  private void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String type = req.getHeader("Content-Type");
    Buffer body = ctx.body().buffer();
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      ctx.next();
      return;
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    Map<String, String> params = form(new String(bytes, StandardCharsets.UTF_8));
    String action = params.get("Action");
    if (action == null) {
      ctx.next();
      return;
    }
    String requestId = UUID.randomUUID().toString();
    CallContext[] caller = new CallContext[1];
    Future<String> result;
    try {
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : req.headers()) {
        headers.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(e.getValue());
      }
      if (!headers.containsKey("host") && req.authority() != null) headers.put("host", List.of(req.authority().toString()));
      if ("ConfirmSubscription".equals(action) && !headers.containsKey("authorization")) {
        // SNS lets an endpoint confirm without AWS credentials: the token it was sent is the proof
        result = operations.get(action).handle(new SnsOperations.SnsCall(null, clock.instant(), baseUrl(req)), params);
        answer(ctx, action, params, null, result, requestId);
        return;
      }
      SignedRequest signed = new SignedRequest(req.method().name(), req.path(), req.query(), headers, bytes);
      SigV4Verifier.Authorization auth = verifier.parse(signed, clock.instant());
      result = keys.find(auth.accessKeyId()).compose(key -> {
        if (key == null) throw ApiException.withStatus("InvalidClientTokenId", 403,
            "The security token included in the request is invalid.");
        verifier.verify(signed, auth, key.secretAccessKey());
        caller[0] = new CallContext(key.accountId(), key.accessKeyId(), requestId, clock.instant());
        String version = params.get("Version");
        if (version != null && !VERSION.equals(version)) {
          throw ApiException.withStatus("InvalidParameter", 400, "Invalid parameter: Version " + version
              + " (this service speaks " + VERSION + ")");
        }
        SnsOperations.Operation op = operations.get(action);
        if (op == null) {
          throw ApiException.withStatus("InvalidAction", 400, "The action " + action
              + " is not valid for this endpoint (Vaultgate serves " + String.join(", ", operations.keySet()) + ")");
        }
        return op.handle(new SnsOperations.SnsCall(key.accountId(), clock.instant(), baseUrl(req)), params);
      });
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    answer(ctx, action, params, caller, result, requestId);
  }

  private String baseUrl(HttpServerRequest req) {
    if (publicUrl != null) return publicUrl;
    String host = req.authority() != null ? req.authority().toString() : req.getHeader("Host");
    return (req.isSSL() ? "https://" : "http://") + host;
  }

  /** Writes the answer, then tells the observer (the activity log) of the call. */
  private void answer(RoutingContext ctx, String action, Map<String, String> params, CallContext[] caller,
      Future<String> result, String requestId) {
    HttpServerResponse response = ctx.response();
    result.onComplete(ar -> {
      if (response.ended()) return;
      respond(response, action, ar, requestId);
      JsonObject input = observedInput(params);
      String errorCode = ar.succeeded() ? null : ar.cause() instanceof ApiException e ? e.type() : "InternalError";
      try {
        observer.observed(new ApiCall("sns", action, caller == null ? null : caller[0],
            ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress(),
            ctx.request().getHeader("User-Agent"), input, response.getStatusCode(), errorCode,
            ar.succeeded() ? null : ar.cause().getMessage(), clock.instant()));
      } catch (RuntimeException e) {
        LOG.warn("the call observer failed on sns {} (request {}): {}", action, requestId, e.toString());
      }
    });
  }

  /**
   * The parameters as the activity log keeps them: maps sent as {@code X.entry.N.key} /
   * {@code X.entry.N.value} are folded into {@code X: {key: value}}, so that a secret attribute such
   * as {@code SigningSecret} is a member by its own name, which the log redacts.
   */
  static JsonObject observedInput(Map<String, String> params) {
    JsonObject input = new JsonObject();
    Map<String, String> entryKeys = new LinkedHashMap<>();
    params.forEach((k, v) -> {
      if (MAP_ENTRY_KEY.matcher(k).matches()) entryKeys.put(k.substring(0, k.length() - ".key".length()), v);
    });
    params.forEach((k, v) -> {
      if ("Action".equals(k) || "Version".equals(k) || MAP_ENTRY_KEY.matcher(k).matches()) return;
      if (k.endsWith(".value") && entryKeys.containsKey(k.substring(0, k.length() - ".value".length()))) {
        String entry = k.substring(0, k.length() - ".value".length());
        String map = entry.substring(0, entry.indexOf(".entry."));
        JsonObject members = input.getJsonObject(map);
        if (members == null) input.put(map, members = new JsonObject());
        members.put(entryKeys.get(entry), v);
      } else {
        input.put(k, v);
      }
    });
    return input;
  }

  private static void respond(HttpServerResponse response, String action, io.vertx.core.AsyncResult<String> ar,
      String requestId) {
    {
      response.putHeader("x-amzn-RequestId", requestId).putHeader("Content-Type", "text/xml");
      if (ar.succeeded()) {
        response.setStatusCode(200).end(SnsXml.response(action, NO_RESULT.contains(action) ? null : ar.result(),
            requestId));
      } else {
        ApiException api;
        if (ar.cause() instanceof ApiException e) {
          api = e;
        } else {
          LOG.error("request {} sns {} failed", requestId, action, ar.cause());
          api = ApiException.withStatus("InternalError", 500, "An internal error occurred (request " + requestId + ")");
        }
        int status = api.status() != 0 ? api.status() : switch (api.type()) {
          case "NotFound" -> 404;
          case "AuthorizationError" -> 403;
          default -> 400;
        };
        response.setStatusCode(status).end(SnsXml.error(api.type(), api.getMessage(), status, requestId));
      }
    }
  }

  /** Decodes {@code a=1&b=2} (application/x-www-form-urlencoded); the first of repeated names wins. */
  static Map<String, String> form(String body) {
    Map<String, String> out = new LinkedHashMap<>();
    if (body.isEmpty()) return out;
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) continue;
      int eq = pair.indexOf('=');
      try {
        String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.putIfAbsent(k, v);
      } catch (IllegalArgumentException e) {
        return Map.of(); // not a form after all: leave it to the other fronts
      }
    }
    return out;
  }
}
