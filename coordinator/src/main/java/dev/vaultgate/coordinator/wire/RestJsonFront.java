package dev.vaultgate.coordinator.wire;

import dev.vaultgate.coordinator.auth.AccessKeyStore;
import dev.vaultgate.coordinator.auth.SigV4Verifier;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The front for a REST-JSON AWS service (e.g. {@code backup}): verifies SigV4, finds the
 * operation from the method and path the service model declares, builds its input from URI
 * labels, query string, headers and the JSON body, validates it against the model, calls the
 * operation's handler, and writes the output or the AWS error shape
 * ({@code x-amzn-ErrorType} and a JSON body with {@code code}/{@code message}/{@code __type}).
 * It never answers a stack trace. It takes every path, so it is mounted after the JSON fronts.
 */
public final class RestJsonFront extends SignedFront {

  public static final long DEFAULT_BODY_LIMIT = 1024 * 1024;

  private final Map<String, List<ServiceModel.Operation>> routesByMethod = new LinkedHashMap<>();

  public RestJsonFront(
      ServiceModel model,
      SigV4Verifier verifier,
      AccessKeyStore keys,
      Map<String, OperationHandler> handlers,
      Clock clock,
      long bodyLimit) {
    this(model, verifier, keys, handlers, clock, bodyLimit, CallObserver.NONE);
  }

  public RestJsonFront(
      ServiceModel model,
      SigV4Verifier verifier,
      AccessKeyStore keys,
      Map<String, OperationHandler> handlers,
      Clock clock,
      long bodyLimit,
      CallObserver observer) {
    super(requireProtocol(model), verifier, keys, handlers, clock, bodyLimit, observer);
    for (ServiceModel.Operation op : model.operations().values()) {
      routesByMethod.computeIfAbsent(op.method(), m -> new ArrayList<>()).add(op);
    }
    Comparator<ServiceModel.Operation> specific =
        Comparator.<ServiceModel.Operation>comparingInt(o -> o.queryLiterals().size())
            .thenComparingInt(ServiceModel.Operation::literalCount)
            .reversed();
    routesByMethod.values().forEach(list -> list.sort(specific));
  }

  private static ServiceModel requireProtocol(ServiceModel model) {
    if (!"rest-json".equals(model.protocol())) {
      throw new IllegalArgumentException(model.serviceId() + " speaks " + model.protocol() + ", not rest-json");
    }
    return model;
  }

  /** Mounts the front on every path of the router not taken by an earlier route. */
  public void mount(Router router) {
    router.route()
        .handler(BodyHandler.create(false).setBodyLimit(bodyLimit).setHandleFileUploads(false))
        .handler(this::handle)
        .failureHandler(this::answerFailure);
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
    Exchange ex = new Exchange(ctx);
    HttpServerRequest req = ctx.request();
    Future<JsonObject> result;
    try {
      result = authenticate(ex).compose(caller -> {
        ex.operation = route(req.method().name(), req.path(), req.params());
        if (ex.operation == null) {
          throw ApiException.withStatus(
              "UnknownOperationException", 404, "No operation at " + req.method() + " " + req.path());
        }
        OperationHandler handler = handler(ex.operation);
        JsonObject input = ex.operation.inputShape() == null ? new JsonObject() : input(ex.operation, req, ex.body);
        return invoke(ex, handler, input);
      });
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        writeOutput(ex, ar.result());
      } else {
        answerError(ex, ar.cause());
      }
    });
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
            throw validator.invalid("Unknown parameter " + e.getKey() + " in the request body");
          }
          raw.put(e.getKey(), e.getValue());
        }
      }
    }
    return validator.structure(op.inputShape(), raw, "");
  }


  private void writeOutput(Exchange ex, JsonObject output) {
    HttpServerResponse response = ex.ctx.response();
    if (response.ended()) return;
    ServiceModel.Operation op = ex.operation;
    response.putHeader("x-amzn-RequestId", ex.requestId).putHeader("Date", httpDate());
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
    observeSuccess(ex, op.responseCode());
  }

  @Override
  String contentType() {
    return "application/json";
  }

  /** Clients read the type from the header, else code/Code, else __type; the message from message/Message. */
  @Override
  JsonObject errorBody(String type, String message) {
    return new JsonObject()
        .put("__type", type)
        .put("code", type)
        .put("Code", type)
        .put("message", message)
        .put("Message", message);
  }
}
