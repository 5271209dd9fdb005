package dev.vaultgate.vault.storage;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Parses vault URLs for {@link VaultLocation#parse}; every error is one line naming the URL and what was expected. */
final class VaultLocationParser {
  static final String EXPECTED = "expected file:///abs/dir or s3://bucket[/prefix]?endpoint=...&region=...";
  static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final Pattern REGION = Pattern.compile("[a-z0-9-]+");

  private VaultLocationParser() {
  }

  static VaultLocation parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("no vault URL given (" + EXPECTED + ")");
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      String lower = url.trim().toLowerCase(Locale.ROOT);
      if (!lower.startsWith("file:") && !lower.startsWith("s3:")) {
        throw new IllegalArgumentException("not a vault URL: '" + url + "' (" + EXPECTED + ")");
      }
      throw bad(url, e.getReason().toLowerCase(Locale.ROOT) + " at index " + e.getIndex());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    try {
      return switch (scheme) {
        case "file" -> parseFile(url, uri);
        case "s3" -> parseS3(url, uri);
        default -> throw new IllegalArgumentException("not a vault URL: '" + url + "' (" + EXPECTED + ")");
      };
    } catch (IllegalArgumentException e) {
      if (e.getMessage().contains(EXPECTED)) {
        throw e;
      }
      throw bad(url, e.getMessage());
    }
  }

  private static VaultLocation parseFile(String url, URI uri) {
    if (uri.isOpaque()) {
      throw bad(url, "the path must be absolute (file:///abs/dir)");
    }
    if (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty()
        && !uri.getRawAuthority().equals("localhost")) {
      throw bad(url, "a file URL names no host (file:///abs/dir, three slashes)");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw bad(url, "a file URL takes no query or fragment");
    }
    String path = uri.getPath();
    if (path == null || !path.startsWith("/")) {
      throw bad(url, "the path must be absolute (file:///abs/dir)");
    }
    for (String segment : path.split("/")) {
      if (segment.equals("..")) {
        throw bad(url, "the path may not contain '..'");
      }
    }
    return new VaultLocation.FileLocation(Path.of(path));
  }

  private static VaultLocation parseS3(String url, URI uri) {
    String bucket = uri.getRawAuthority();
    if (bucket == null || bucket.isEmpty()) {
      throw bad(url, "no bucket (s3://bucket/prefix)");
    }
    if (uri.getRawFragment() != null) {
      throw bad(url, "an s3 URL takes no fragment");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    // One '/' separates bucket and prefix; trailing ones are a matter of taste. Anything else is checked.
    String prefix = (path.startsWith("/") ? path.substring(1) : path).replaceAll("/+$", "");
    if (!prefix.isEmpty()) {
      try {
        ObjectKeyRules.checkKey(prefix);
      } catch (IllegalArgumentException e) {
        String why = e.getMessage().replaceFirst("^bad object key '[^']*': ", "");
        throw bad(url, "prefix '" + prefix + "' is bad: " + why);
      }
    }
    URI endpoint = null;
    String region = null;
    String query = uri.getRawQuery();
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        switch (name) {
          case "endpoint" -> endpoint = parseEndpoint(url, value);
          case "region" -> {
            if (!REGION.matcher(value).matches()) {
              throw bad(url, "region '" + value + "' is not a region name like us-east-1");
            }
            region = value;
          }
          default -> throw bad(url, "unknown parameter '" + name + "' (only endpoint and region)");
        }
      }
    }
    return new VaultLocation.S3Location(bucket, prefix, Optional.ofNullable(endpoint), Optional.ofNullable(region));
  }

  private static URI parseEndpoint(String url, String value) {
    try {
      URI endpoint = new URI(value);
      String scheme = endpoint.getScheme();
      if (("http".equals(scheme) || "https".equals(scheme)) && endpoint.getHost() != null
          && (endpoint.getPath() == null || endpoint.getPath().isEmpty() || endpoint.getPath().equals("/"))
          && endpoint.getQuery() == null) {
        return new URI(scheme, null, endpoint.getHost(), endpoint.getPort(), null, null, null);
      }
    } catch (URISyntaxException e) {
      // falls through to the message below
    }
    throw bad(url, "endpoint '" + value + "' is not an http(s)://host[:port] URL");
  }

  private static IllegalArgumentException bad(String url, String problem) {
    return new IllegalArgumentException("bad vault URL '" + url + "': " + problem + " (" + EXPECTED + ")");
  }
}
