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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every AWS protocol front shares, whatever the protocol: SigV4 verification against the
 * access keys, the handler table (501 for an operation without a handler), turning a failure into
 * the AWS error type and status the model gives, and telling the {@link CallObserver} of every
 * answered call. A subclass maps requests to operations and writes its protocol's bodies.
 */
abstract class SignedFront {

  private static final Logger LOG = LoggerFactory.getLogger(SignedFront.class);

  final ServiceModel model;
  final ModelValidator validator;
  final SigV4Verifier verifier;
  final AccessKeyStore keys;
  final Map<String, OperationHandler> handlers;
  final Clock clock;
  final long bodyLimit;
  final CallObserver observer;

  SignedFront(ServiceModel model, SigV4Verifier verifier, AccessKeyStore keys, Map<String, OperationHandler> handlers,
      Clock clock, long bodyLimit, CallObserver observer) {
    for (String op : handlers.keySet()) model.operation(op); // every handler names a real operation
    this.model = model;
    this.validator = new ModelValidator(model);
    this.verifier = verifier;
    this.keys = keys;
    this.handlers = Map.copyOf(handlers);
    this.clock = clock;
    this.bodyLimit = bodyLimit;
    this.observer = observer == null ? CallObserver.NONE : observer;
  }

  /** What one call has come to so far: what the answer and the observer need. */
  static final class Exchange {
    final String requestId = UUID.randomUUID().toString();
    final RoutingContext ctx;
    final byte[] body;
    ServiceModel.Operation operation;
    CallContext caller;
    JsonObject input;

    Exchange(RoutingContext ctx) {
      this.ctx = ctx;
      Buffer buffer = ctx.body() == null ? null : ctx.body().buffer();
      this.body = buffer == null ? new byte[0] : buffer.getBytes();
    }
  }

  /** Verifies the request's signature; the caller once its key and signature are accepted. */
  final Future<CallContext> authenticate(Exchange ex) {
    HttpServerRequest req = ex.ctx.request();
    Map<String, List<String>> headers = lowerCaseHeaders(req.headers());
    if (!headers.containsKey("host") && req.authority() != null) {
      headers.put("host", List.of(req.authority().toString())); // HTTP/2 sends :authority, not Host
    }
    SignedRequest signed = new SignedRequest(req.method().name(), req.path(), req.query(), headers, ex.body);
    SigV4Verifier.Authorization auth = verifier.parse(signed, clock.instant());
    return keys.find(auth.accessKeyId()).map(key -> {
      if (key == null) {
        throw ApiException.withStatus(
            "UnrecognizedClientException", 403, "The security token included in the request is invalid.");
      }
      verifier.verify(signed, auth, key.secretAccessKey());
      ex.caller = new CallContext(key.accountId(), key.accessKeyId(), ex.requestId, clock.instant());
      return ex.caller;
    });
  }

  /** The operation's handler; a 501 when Vaultgate does not implement it. */
  final OperationHandler handler(ServiceModel.Operation op) {
    OperationHandler handler = handlers.get(op.name());
    if (handler == null) {
      throw ApiException.withStatus(
          "NotImplementedException", 501, "Vaultgate does not implement " + op.name() + " yet");
    }
    return handler;
  }

  /** Calls the handler with the validated input (kept for the observer). */
  final Future<JsonObject> invoke(Exchange ex, OperationHandler handler, JsonObject input) {
    ex.input = input;
    return handler.handle(ex.caller, input);
  }

  /** Writes a failure in the protocol's error shape and tells the observer. */
  final void answerError(Exchange ex, Throwable cause) {
    HttpServerResponse response = ex.ctx.response();
    if (response.ended()) return;
    ApiException api;
    if (cause instanceof ApiException e) {
      api = e;
    } else {
      HttpServerRequest req = ex.ctx.request();
      LOG.error("request {} {} {} failed", ex.requestId, req.method(), req.path(), cause);
      api = ApiException.of(internalErrorType(), "An internal error occurred (request " + ex.requestId + ")");
    }
    int status = api.status() != 0 ? api.status() : model.errorStatus(api.type());
    String message = String.valueOf(api.getMessage()).replace('\n', ' ');
    response.setStatusCode(status)
        .putHeader("x-amzn-RequestId", ex.requestId)
        .putHeader("x-amzn-ErrorType", api.type())
        .putHeader("Date", httpDate())
        .putHeader("Content-Type", contentType())
        .end(errorBody(api.type(), message).encode());
    observe(ex, status, api.type(), message);
  }

  /** Tells the observer of a successful answer. */
  final void observeSuccess(Exchange ex, int status) {
    observe(ex, status, null, null);
  }

  private void observe(Exchange ex, int status, String errorCode, String errorMessage) {
    HttpServerRequest req = ex.ctx.request();
    try {
      observer.observed(new ApiCall(model.endpointPrefix(), ex.operation == null ? null : ex.operation.name(),
          ex.caller, req.remoteAddress() == null ? null : req.remoteAddress().host(), req.getHeader("User-Agent"),
          ex.input, status, errorCode, errorMessage, clock.instant()));
    } catch (RuntimeException e) {
      LOG.warn("call observer failed on request {}", ex.requestId, e); // never changes the answer
    }
  }

  /** A body-handler failure (too large, unreadable) answered in the protocol's shape. */
  final void answerFailure(RoutingContext ctx) {
    Throwable cause;
    if (ctx.statusCode() == 413) {
      cause = ApiException.withStatus(
          "RequestEntityTooLargeException", 413, "The request body is larger than " + bodyLimit + " bytes");
    } else if (ctx.failure() != null) {
      cause = ctx.failure();
    } else {
      cause = ApiException.withStatus("SerializationException", 400, "The request could not be read");
    }
    answerError(new Exchange(ctx), cause);
  }

  /** The error type of a failure the code did not foresee. */
  String internalErrorType() {
    return model.hasShape("InternalServerException") ? "InternalServerException" : "ServiceUnavailableException";
  }

  abstract String contentType();

  abstract JsonObject errorBody(String type, String message);

  final String httpDate() {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().atOffset(ZoneOffset.UTC));
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
    } else if (v instanceof JsonArray a) {
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

  static Map<String, List<String>> lowerCaseHeaders(MultiMap headers) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : headers) {
      out.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(e.getValue());
    }
    return out;
  }
}
