package dev.vaultgate.coordinator.wire;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One answered API call, as a front saw it: the service and operation (operation null when the
 * request named none), who called (null when the signature was not accepted), from where, the
 * validated input (null when it was not read), and the outcome ({@code errorCode} null on success).
 * The input still holds whatever the caller sent; the observer redacts what it must not keep.
 */
public record ApiCall(
    String service,
    String operation,
    CallContext caller,
    String sourceAddress,
    String userAgent,
    JsonObject input,
    int status,
    String errorCode,
    String errorMessage,
    Instant at) {}
