package dev.vaultgate.coordinator.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** The protocols a subscription can use here and what a valid endpoint of each is. */
public final class SubscriptionEndpoint {

  public static final Set<String> PROTOCOLS = Set.of("http", "https", "email", "email-json");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s<>\",;]+@[A-Za-z0-9.-]+");

  private SubscriptionEndpoint() {}

  /** Null when {@code endpoint} is valid for {@code protocol}, else why not (one line). */
  public static String problem(String protocol, String endpoint) {
    if (protocol == null || !PROTOCOLS.contains(protocol.toLowerCase(Locale.ROOT))) {
      return "Invalid parameter: Protocol " + protocol + " is not supported by Vaultgate (expected one of http,"
          + " https, email, email-json)";
    }
    if (endpoint == null || endpoint.isBlank()) return "Invalid parameter: Endpoint is required for " + protocol;
    switch (protocol.toLowerCase(Locale.ROOT)) {
      case "http", "https" -> {
        URI uri;
        try {
          uri = new URI(endpoint);
        } catch (URISyntaxException e) {
          return "Invalid parameter: Endpoint " + endpoint + " is not a URL";
        }
        if (!protocol.equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
          return "Invalid parameter: Endpoint " + endpoint + " must be a " + protocol + ":// URL with a host";
        }
        return null;
      }
      default -> {
        return EMAIL.matcher(endpoint).matches() ? null
            : "Invalid parameter: Endpoint " + endpoint + " is not an e-mail address";
      }
    }
  }
}
