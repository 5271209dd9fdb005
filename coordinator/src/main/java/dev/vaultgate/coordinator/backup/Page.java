package dev.vaultgate.coordinator.backup;

import dev.vaultgate.coordinator.wire.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * One page of a listing and the opaque token of the next ({@code null} on the last page). A
 * token is the position after the page's last item (a keyset), so pages stay consistent
 * while rows are added, and any replica can continue a listing another one started.
 */
public record Page<T>(List<T> items, String nextToken) {

  public static final int DEFAULT_MAX_RESULTS = 1000;

  /** Encodes a position made of parts that contain no newline. */
  public static String token(String... parts) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(String.join("\n", parts).getBytes(StandardCharsets.UTF_8));
  }

  /** Decodes a token into its {@code n} parts, or fails with InvalidParameterValueException. */
  public static String[] parts(String token, int n) {
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\n", -1);
      if (parts.length == n) return parts;
    } catch (IllegalArgumentException e) {
      // falls through
    }
    throw ApiException.invalidParameter("The NextToken '" + token + "' is not valid");
  }

  /** MaxResults as given (the model bounds it), or the default. */
  public static int limit(Long maxResults) {
    return maxResults == null ? DEFAULT_MAX_RESULTS : maxResults.intValue();
  }
}
