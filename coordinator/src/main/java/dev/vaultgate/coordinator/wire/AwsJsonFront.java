package dev.vaultgate.coordinator.wire;

import dev.vaultgate.coordinator.auth.AccessKeyStore;
import dev.vaultgate.coordinator.auth.SigV4Verifier;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;

/**
 * The front for an AWS JSON-protocol service (awsJson1_0 and awsJson1_1: {@code backup-gateway},
 * {@code cloudtrail}, {@code kms}): {@code POST /} with {@code X-Amz-Target: <targetPrefix>.<Operation>},
 * a JSON body of the operation's input shape, Content-Type {@code application/x-amz-json-1.0} or
 * {@code 1.1}. It verifies SigV4, validates the body against the model, calls the operation's
 * handler, and answers the output, or {@code {"__type", "message"}} with {@code x-amzn-ErrorType}
 * and the status the model gives the error.
 *
 * <p>It takes only requests whose {@code X-Amz-Target} carries its service's prefix and passes
 * every other one on ({@code ctx.next()}), so several JSON services share the port; mount them
 * before {@link RestJsonFront}, which takes every path.
 */
public final class AwsJsonFront extends SignedFront {

  private final String targetPrefix;
  private final String contentType;

  public AwsJsonFront(
      ServiceModel model,
      SigV4Verifier verifier,
      AccessKeyStore keys,
      Map<String, OperationHandler> handlers,
      Clock clock,
      long bodyLimit,
      CallObserver observer) {
    super(requireProtocol(model), verifier, keys, handlers, clock, bodyLimit, observer);
    this.targetPrefix = model.targetPrefix() + ".";
    this.contentType = "application/x-amz-json-" + model.jsonVersion();
  }

  private static ServiceModel requireProtocol(ServiceModel model) {
    if (!"json".equals(model.protocol()) || model.targetPrefix() == null) {
      throw new IllegalArgumentException(model.serviceId() + " speaks " + model.protocol() + ", not json");
    }
    return model;
  }

  /** Mounts the front for the requests that target its service; the others go on to later routes. */
  public void mount(Router router) {
    BodyHandler body = BodyHandler.create(false).setBodyLimit(bodyLimit).setHandleFileUploads(false);
    router.route()
        .handler(ctx -> {
          if (targetsThisService(ctx.request())) body.handle(ctx);
          else ctx.next(); // on to handle(), which passes it on too: a route's handlers run in turn
        })
        .handler(this::handle)
        .failureHandler(ctx -> {
          if (targetsThisService(ctx.request())) answerFailure(ctx);
          else ctx.next();
        });
  }

  /** Whether the request names an operation of this service (the operation may still be unknown). */
  boolean targetsThisService(HttpServerRequest req) {
    String target = req.getHeader("X-Amz-Target");
    return target != null && target.startsWith(targetPrefix);
  }

  /** The operation an {@code X-Amz-Target} names, or null; package-visible for tests. */
  ServiceModel.Operation operation(String target) {
    if (target == null || !target.startsWith(targetPrefix)) return null;
    return model.operations().get(target.substring(targetPrefix.length()));
  }

  private void handle(RoutingContext ctx) {
    if (!targetsThisService(ctx.request())) {
      ctx.next();
      return;
    }
    Exchange ex = new Exchange(ctx);
    HttpServerRequest req = ctx.request();
    Future<JsonObject> result;
    try {
      String target = req.getHeader("X-Amz-Target");
      ex.operation = operation(target);
      result = authenticate(ex).compose(caller -> {
        if (req.method() != HttpMethod.POST || !"/".equals(req.path())) {
          throw ApiException.withStatus("UnknownOperationException", 404,
              model.serviceId() + " is served at POST /, not " + req.method() + " " + req.path());
        }
        if (ex.operation == null) {
          throw ApiException.withStatus("UnknownOperationException", 400,
              "X-Amz-Target " + target + " names no operation of " + model.serviceId());
        }
        checkContentType(req.getHeader("Content-Type"));
        OperationHandler handler = handler(ex.operation);
        return invoke(ex, handler, input(ex.operation, ex.body));
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

  /** The JSON content types of either protocol version; clients send theirs with every call. */
  private static void checkContentType(String header) {
    String type = header == null ? "" : header.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!type.equals("application/x-amz-json-1.0") && !type.equals("application/x-amz-json-1.1")) {
      throw ApiException.withStatus("SerializationException", 400, "Content-Type "
          + (header == null ? "(none)" : "'" + header + "'")
          + " is not application/x-amz-json-1.0 or application/x-amz-json-1.1");
    }
  }

  private JsonObject input(ServiceModel.Operation op, byte[] body) {
    JsonObject raw;
    if (body.length == 0) {
      raw = new JsonObject();
    } else {
      try {
        raw = new JsonObject(Buffer.buffer(body));
      } catch (DecodeException | ClassCastException e) {
        throw ApiException.withStatus("SerializationException", 400, "The request body is not a JSON object");
      }
    }
    if (op.inputShape() == null) {
      if (!raw.isEmpty()) throw validator.invalid(op.name() + " takes no parameters");
      return raw;
    }
    return validator.structure(op.inputShape(), raw, "");
  }

  private void writeOutput(Exchange ex, JsonObject output) {
    HttpServerResponse response = ex.ctx.response();
    if (response.ended()) return;
    response.setStatusCode(200)
        .putHeader("x-amzn-RequestId", ex.requestId)
        .putHeader("Date", httpDate())
        .putHeader("Content-Type", contentType)
        .end(output == null ? "{}" : withoutNulls(output).encode());
    observeSuccess(ex, 200);
  }

  @Override
  String contentType() {
    return contentType;
  }

  /** The JSON protocols' error body; {@code Message} too, the member the model's error shapes declare. */
  @Override
  JsonObject errorBody(String type, String message) {
    return new JsonObject().put("__type", type).put("message", message).put("Message", message);
  }
}
