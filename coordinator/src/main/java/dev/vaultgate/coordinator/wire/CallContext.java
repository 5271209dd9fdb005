package dev.vaultgate.coordinator.wire;

import java.time.Instant;

/**
 * Who is calling and when: the account the verified access key belongs to, the key, the
 * request id answered in {@code x-amzn-RequestId}, and the time the request was received.
 */
public record CallContext(String accountId, String accessKeyId, String requestId, Instant receivedAt) {}
