package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * Keyset pages for the List operations: NextToken is the last key of the page, opaque to clients
 * (base64url); MaxResults defaults to 100 and is capped at 1000. Also the wire form of times.
 */
final class Paging {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;

  private Paging() {}

  static int limit(Long maxResults) {
    return maxResults == null ? DEFAULT_LIMIT : (int) Math.min(maxResults, MAX_LIMIT);
  }

  /** The key after which the page starts; null for the first page. */
  static String after(String nextToken) {
    if (nextToken == null) return null;
    try {
      String key = new String(Base64.getUrlDecoder().decode(nextToken), StandardCharsets.UTF_8);
      if (key.startsWith("k:")) return key.substring(2);
    } catch (IllegalArgumentException e) {
      // answered below
    }
    throw ApiException.of("ValidationException", "NextToken " + nextToken + " is not a token this API handed out");
  }

  /**
   * Writes up to {@code limit} items (the store was asked for one more, to know whether another
   * page follows) and answers the next token, or null on the last page.
   */
  static <T> String page(List<T> items, int limit, JsonArray out, Function<T, Object> render, Function<T, String> key) {
    for (int i = 0; i < Math.min(limit, items.size()); i++) out.add(render.apply(items.get(i)));
    if (items.size() <= limit) return null;
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(("k:" + key.apply(items.get(limit - 1))).getBytes(StandardCharsets.UTF_8));
  }

  /** Epoch seconds, as the JSON protocols carry timestamps. */
  static Number epoch(Instant t) {
    if (t == null) return null;
    long millis = t.toEpochMilli();
    return millis % 1000 == 0 ? (Number) (millis / 1000) : (Number) (millis / 1000.0);
  }
}
