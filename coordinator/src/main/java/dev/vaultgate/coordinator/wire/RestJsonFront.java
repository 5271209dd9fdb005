package dev.vaultgate.coordinator.wire;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.auth.AccessKeyStore;
import dev.vaultgate.coordinator.auth.SigV4Verifier;
import dev.vaultgate.coordinator.auth.SigV4Verifier.SignedRequest;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front for a REST-JSON AWS service (e.g. {@code backup}): verifies SigV4, finds the
 * operation from the method and path the service model declares, builds its input from URI
 * labels, query string, headers and the JSON body, validates it against the model, calls the
 * operation's handler, and writes the output or the AWS error shape
 * ({@code x-amzn-ErrorType} and a JSON body with {@code code}/{@code message}/{@code __type}).
 * It never answers a stack trace.
 */
public final class RestJsonFront {

  private static final Logger LOG = LoggerFactory.getLogger(RestJsonFront.class);
  public static final long DEFAULT_BODY_LIMIT = 1024 * 1024;

  private final ServiceModel model;
  private final ModelValidator validator;
  private final SigV4Verifier verifier;
  private final AccessKeyStore keys;
  private final Map<String, OperationHandler> handlers;
  private final Clock clock;
  private final long bodyLimit;
  private final Map<String, List<ServiceModel.Operation>> routesByMethod = new LinkedHashMap<>();

  public RestJsonFront(
      ServiceModel model,
      SigV4Verifier verifier,
      AccessKeyStore keys,
      Map<String, OperationHandler> handlers,
      Clock clock,
      long bodyLimit) {
    if (!"rest-json".equals(model.protocol())) {
      throw new IllegalArgumentException(model.serviceId() + " speaks " + model.protocol() + ", not rest-json");
    }
    for (String op : handlers.keySet()) model.operation(op); // every handler names a real operation
    this.model = model;
    this.validator = new ModelValidator(model);
    this.verifier = verifier;
    this.keys = keys;
    this.handlers = Map.copyOf(handlers);
    this.clock = clock;
    this.bodyLimit = bodyLimit;
    for (ServiceModel.Operation op : model.operations().values()) {
      routesByMethod.computeIfAbsent(op.method(), m -> new ArrayList<>()).add(op);
    }
    Comparator<ServiceModel.Operation> specific =
        Comparator.<ServiceModel.Operation>comparingInt(o -> o.queryLiterals().size())
            .thenComparingInt(ServiceModel.Operation::literalCount)
            .reversed();
    routesByMethod.values().forEach(list -> list.sort(specific));
  }

  /** Mounts the front on every path of the router not taken by an earlier route. */
  public void mount(Router router) {
    router.route()
        .handler(BodyHandler.create(false).setBodyLimit(bodyLimit).setHandleFileUploads(false))
        .handler(this::handle)
        .failureHandler(this::handleFailure);
  }

  /** The operation a request names, or null; package-visible for the route-table test. */
  ServiceModel.Operation route(String method, String rawPath, MultiMap query) {
    List<String> segments = segments(rawPath);
    for (ServiceModel.Operation op : routesByMethod.getOrDefault(method, List.of())) {
      if (op.pathSegments().size() != segments.size()) continue;
      boolean ok = true;
      for (int i = 0; i < segments.size() && ok; i++) {
        String pattern = op.pathSegments().get(i);
        String actual = SigV4Verifier.percentDecode(segments.get(i));
        ok = pattern.startsWith("{") ? !actual.isEmpty() : pattern.equals(actual);
      }
      for (String literal : op.queryLiterals()) ok = ok && query.contains(literal);
      if (ok) return op;
    }
    return null;
  }

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/", -1)) out.add(s);
    // a leading and a trailing slash both give empty ends
    if (!out.isEmpty() && out.get(0).isEmpty()) out.remove(0);
    if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) out.remove(out.size() - 1);
    return out;
  }

  private void handle(RoutingContext ctx) {
    String requestId = UUID.randomUUID().toString();
    HttpServerRequest req = ctx.request();
    Buffer body = ctx.body().buffer();
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    Future<JsonObject> result;
    ServiceModel.Operation[] op = new ServiceModel.Operation[1];
    try {
      Map<String, List<String>> headers = lowerCaseHeaders(req.headers());
      if (!headers.containsKey("host") && req.authority() != null) {
        headers.put("host", List.of(req.authority().toString())); // HTTP/2 sends :authority, not Host
      }
      SignedRequest signed = new SignedRequest(req.method().name(), req.path(), req.query(), headers, bytes);
      SigV4Verifier.Authorization auth = verifier.parse(signed, clock.instant());
      result =
          keys.find(auth.accessKeyId())
              .compose(
                  key -> {
                    if (key == null) {
                      throw ApiException.withStatus(
                          "UnrecognizedClientException", 403,
                          "The security token included in the request is invalid.");
                    }
                    verifier.verify(signed, auth, key.secretAccessKey());
                    op[0] = route(req.method().name(), req.path(), req.params());
                    return dispatch(ctx, op[0], key, requestId, bytes);
                  });
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(
        ar -> {
          if (ar.succeeded()) {
            writeOutput(ctx.response(), op[0], ar.result(), requestId);
          } else {
            writeError(ctx.response(), ar.cause(), requestId, req);
          }
        });
  }

  private Future<JsonObject> dispatch(
      RoutingContext ctx, ServiceModel.Operation op, AccessKey key, String requestId, byte[] body) {
    HttpServerRequest req = ctx.request();
    if (op == null) {
      throw ApiException.withStatus(
          "UnknownOperationException", 404, "No operation at " + req.method() + " " + req.path());
    }
    OperationHandler handler = handlers.get(op.name());
    if (handler == null) {
      throw ApiException.withStatus(
          "NotImplementedException", 501, "Vaultgate does not implement " + op.name() + " yet");
    }
    JsonObject input = op.inputShape() == null ? new JsonObject() : input(op, req, body);
    CallContext call = new CallContext(key.accountId(), key.accessKeyId(), requestId, clock.instant());
    return handler.handle(call, input);
  }

  private JsonObject input(ServiceModel.Operation op, HttpServerRequest req, byte[] body) {
    JsonObject shape = model.shape(op.inputShape());
    JsonObject members = shape.getJsonObject("members", new JsonObject());
    JsonObject raw = new JsonObject();
    List<String> segments = segments(req.path());
    Map<String, String> labels = new LinkedHashMap<>();
    for (int i = 0; i < op.pathSegments().size(); i++) {
      String p = op.pathSegments().get(i);
      if (p.startsWith("{")) {
        labels.put(p.substring(1, p.length() - 1).replace("+", ""), SigV4Verifier.percentDecode(segments.get(i)));
      }
    }
    MultiMap query = req.params();
    String payloadMember = shape.getString("payload");
    List<String> bodyMembers = new ArrayList<>();
    for (String name : members.fieldNames()) {
      JsonObject m = members.getJsonObject(name);
      String location = m.getString("location");
      String locationName = m.getString("locationName", name);
      String shapeName = m.getString("shape");
      if ("uri".equals(location)) {
        String v = labels.get(locationName);
        if (v != null) raw.put(name, validator.fromText(shapeName, List.of(v), name));
      } else if ("querystring".equals(location)) {
        List<String> values = query.getAll(locationName);
        if (!values.isEmpty()) raw.put(name, validator.fromText(shapeName, values, name));
      } else if ("header".equals(location)) {
        String v = req.getHeader(locationName);
        if (v != null) raw.put(name, validator.fromText(shapeName, List.of(v), name));
      } else if (location == null && !name.equals(payloadMember)) {
        bodyMembers.add(name);
      }
    }
    if (body.length > 0) {
      JsonObject json;
      try {
        json = new JsonObject(Buffer.buffer(body));
      } catch (DecodeException | ClassCastException e) {
        throw ApiException.withStatus("SerializationException", 400, "The request body is not a JSON object");
      }
      if (payloadMember != null) {
        raw.put(payloadMember, json);
      } else {
        for (Map.Entry<String, Object> e : json) {
          if (!bodyMembers.contains(e.getKey())) {
            throw ApiException.invalidParameter("Unknown parameter " + e.getKey() + " in the request body");
          }
          raw.put(e.getKey(), e.getValue());
        }
      }
    }
    return validator.structure(op.inputShape(), raw, "");
  }

  private void writeOutput(HttpServerResponse response, ServiceModel.Operation op, JsonObject output, String requestId) {
    if (response.ended()) return;
    response.putHeader("x-amzn-RequestId", requestId).putHeader("Date", httpDate());
    if (op.outputShape() != null && output != null) {
      JsonObject members = model.members(op.outputShape());
      for (String name : members.fieldNames()) {
        JsonObject m = members.getJsonObject(name);
        if ("header".equals(m.getString("location")) && output.containsKey(name)) {
          response.putHeader(m.getString("locationName", name), String.valueOf(output.remove(name)));
        }
      }
    }
    response.setStatusCode(op.responseCode());
    if (op.responseCode() == 204) {
      response.end();
    } else {
      response.putHeader("Content-Type", "application/json")
          .end(output == null ? "{}" : withoutNulls(output).encode());
    }
  }

  private void writeError(HttpServerResponse response, Throwable cause, String requestId, HttpServerRequest req) {
    if (response.ended()) return;
    ApiException api;
    if (cause instanceof ApiException e) {
      api = e;
    } else {
      LOG.error("request {} {} {} failed", requestId, req.method(), req.path(), cause);
      api = ApiException.of("ServiceUnavailableException", "An internal error occurred (request " + requestId + ")");
    }
    int status = api.status() != 0 ? api.status() : model.errorStatus(api.type());
    JsonObject body =
        new JsonObject()
            .put("__type", api.type())
            .put("code", api.type())
            .put("Code", api.type())
            .put("message", api.getMessage())
            .put("Message", api.getMessage());
    response.setStatusCode(status)
        .putHeader("x-amzn-RequestId", requestId)
        .putHeader("x-amzn-ErrorType", api.type())
        .putHeader("Date", httpDate())
        .putHeader("Content-Type", "application/json")
        .end(body.encode());
  }

  private void handleFailure(RoutingContext ctx) {
    String requestId = UUID.randomUUID().toString();
    Throwable cause;
    if (ctx.statusCode() == 413) {
      cause = ApiException.withStatus(
          "RequestEntityTooLargeException", 413, "The request body is larger than " + bodyLimit + " bytes");
    } else if (ctx.failure() != null) {
      cause = ctx.failure();
    } else {
      cause = ApiException.withStatus("SerializationException", 400, "The request could not be read");
    }
    writeError(ctx.response(), cause, requestId, ctx.request());
  }

  /**
   * Absent members are left out of responses rather than written as null. The response is
   * cleaned in place (it is built for this one request), not copied: a copy of every response,
   * recursively, was a quarter of the CPU of a ListBackupJobs page.
   */
  static JsonObject withoutNulls(JsonObject obj) {
    dropNulls(obj.getMap());
    return obj;
  }

  private static void dropNulls(Object v) {
    if (v instanceof JsonObject o) {
      dropNulls(o.getMap());
    } else if (v instanceof io.vertx.core.json.JsonArray a) {
      dropNulls(a.getList());
    } else if (v instanceof Map<?, ?> m) {
      for (Iterator<?> it = m.values().iterator(); it.hasNext(); ) {
        Object item = it.next();
        if (item == null) it.remove();
        else dropNulls(item);
      }
    } else if (v instanceof List<?> l) {
      for (Iterator<?> it = l.iterator(); it.hasNext(); ) {
        Object item = it.next();
        if (item == null) it.remove();
        else dropNulls(item);
      }
    }
  }

  private static Map<String, List<String>> lowerCaseHeaders(MultiMap headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : headers) {
      out.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(e.getValue());
    }
    return out;
  }

  private String httpDate() {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().atOffset(ZoneOffset.UTC));
  }
}
