package dev.vaultgate.agent.vsphere;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * vCenter's datastore file service ({@code https://vcenter/folder/<path>?dcPath=<dc>&dsName=<ds>}): ranged reads,
 * whole-file uploads and existence checks, authenticated with the SOAP session's cookie, over TLS that trusts
 * only the pinned vCenter certificate.
 *
 * <p>Every method blocks: call them on a worker thread (the vault engine's readers, or the "vsphere"
 * executor through {@link VsphereClient}). They may run on several threads at once.
 */
public final class DatastoreHttps {
  private final String hostPort;
  private final HttpClient http;
  private final Supplier<String> sessionCookie;
  private final Duration timeout;

  public DatastoreHttps(String hostPort, SSLContext tls, Supplier<String> sessionCookie, Duration timeout) {
    this.hostPort = hostPort;
    this.sessionCookie = sessionCookie;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder()
        .sslContext(tls)
        .connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .version(HttpClient.Version.HTTP_1_1)
        .build();
  }

  /** The URL of a datastore file in a datacenter. */
  public URI uri(String datacenter, DatastorePath file) {
    StringBuilder path = new StringBuilder("/folder");
    for (String segment : file.path().split("/")) {
      if (!segment.isEmpty()) {
        path.append('/').append(encode(segment));
      }
    }
    return URI.create("https://" + hostPort + path + "?dcPath=" + encode(datacenter) + "&dsName=" + encode(file.datastore()));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private HttpRequest.Builder request(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(timeout).header("Cookie", sessionCookie.get());
  }

  /**
   * Reads up to {@code len} bytes of the file at {@code position} into {@code buf}: the count read, or -1 when
   * {@code position} is at or past the file's end.
   */
  public int readRange(String datacenter, DatastorePath file, long position, byte[] buf, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    URI uri = uri(datacenter, file);
    HttpResponse<InputStream> res = send(request(uri).header("Range", "bytes=" + position + "-" + (position + len - 1)).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream(), "read", file);
    try (InputStream body = res.body()) {
      int status = res.statusCode();
      if (status == 416) {
        return -1;
      }
      if (status != 206) {
        throw statusError("read " + len + " bytes at offset " + position + " of", file, status);
      }
      long expected = res.headers().firstValueAsLong("Content-Length").orElse(-1);
      int at = 0;
      while (at < len) {
        int n = body.read(buf, off + at, len - at);
        if (n < 0) {
          break;
        }
        at += n;
      }
      if (expected >= 0 && at < expected) {
        throw new IOException("reading " + file + " from vCenter " + hostPort + " at offset " + position + ": the connection ended after "
            + at + " of " + expected + " bytes");
      }
      return at;
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().contains(hostPort)) {
        throw e;
      }
      throw new IOException("cannot read " + file + " from vCenter " + hostPort + " at offset " + position + ": " + e, e);
    }
  }

  /** Uploads a local file as the whole datastore file (created or replaced), streaming it. */
  public void upload(String datacenter, DatastorePath file, Path local) throws IOException {
    put(datacenter, file, HttpRequest.BodyPublishers.ofFile(local));
  }

  /** Uploads bytes as the whole datastore file (created or replaced). */
  public void upload(String datacenter, DatastorePath file, byte[] content) throws IOException {
    put(datacenter, file, HttpRequest.BodyPublishers.ofByteArray(content));
  }

  private void put(String datacenter, DatastorePath file, HttpRequest.BodyPublisher body) throws IOException {
    HttpResponse<String> res = send(request(uri(datacenter, file)).header("Content-Type", "application/octet-stream").PUT(body).build(),
        HttpResponse.BodyHandlers.ofString(), "upload", file);
    if (res.statusCode() != 200 && res.statusCode() != 201 && res.statusCode() != 204) {
      throw statusError("upload", file, res.statusCode());
    }
  }

  /** Whether the file or folder exists. */
  public boolean exists(String datacenter, DatastorePath file) throws IOException {
    HttpResponse<Void> res = send(request(uri(datacenter, file)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding(), "look up", file);
    return switch (res.statusCode()) {
      case 404 -> false;
      case 200, 206, 301, 302 -> true;
      default -> throw statusError("look up", file, res.statusCode());
    };
  }

  private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler, String what, DatastorePath file) throws IOException {
    try {
      return http.send(req, handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while trying to " + what + " " + file + " on vCenter " + hostPort, e);
    } catch (IOException e) {
      throw new IOException("cannot " + what + " " + file + " on vCenter " + hostPort + ": " + rootMessage(e), e);
    }
  }

  private IOException statusError(String what, DatastorePath file, int status) {
    String text = "cannot " + what + " " + file + " on vCenter " + hostPort + ": HTTP " + status;
    return switch (status) {
      case 404 -> new FileNotFoundException(text + " (no such file)");
      case 401, 403 -> new IOException(text + " (the session was refused; log in again)");
      default -> new IOException(text);
    };
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == t ? String.valueOf(t) : t + " (" + root + ")";
  }
}
