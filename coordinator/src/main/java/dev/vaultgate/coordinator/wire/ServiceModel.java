package dev.vaultgate.coordinator.wire;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An AWS service model as botocore ships it ({@code service-2.json}): its operations with
 * their HTTP bindings, and the shapes that constrain their inputs and outputs. Loaded once at
 * start; immutable afterwards.
 */
public final class ServiceModel {

  /** One operation's HTTP binding and shapes. */
  public record Operation(
      String name,
      String method,
      String requestUri,
      List<String> pathSegments,
      List<String> queryLiterals,
      int responseCode,
      String inputShape,
      String outputShape) {

    /** Number of literal (non-label) path segments: the more, the more specific the route. */
    int literalCount() {
      int n = 0;
      for (String s : pathSegments) {
        if (!s.startsWith("{")) n++;
      }
      return n;
    }
  }

  private final String serviceId;
  private final String protocol;
  private final String endpointPrefix;
  private final String signingName;
  private final String targetPrefix;
  private final String jsonVersion;
  private final JsonObject shapes;
  private final Map<String, Operation> operations;

  private ServiceModel(JsonObject model) {
    JsonObject metadata = model.getJsonObject("metadata");
    this.serviceId = metadata.getString("serviceId");
    this.protocol = metadata.getString("protocol");
    this.endpointPrefix = metadata.getString("endpointPrefix");
    this.signingName = metadata.getString("signingName", endpointPrefix);
    this.targetPrefix = metadata.getString("targetPrefix");
    this.jsonVersion = metadata.getString("jsonVersion", "1.0");
    this.shapes = model.getJsonObject("shapes");
    Map<String, Operation> ops = new LinkedHashMap<>();
    JsonObject rawOps = model.getJsonObject("operations");
    for (String name : rawOps.fieldNames()) {
      JsonObject op = rawOps.getJsonObject(name);
      JsonObject http = op.getJsonObject("http", new JsonObject());
      String uri = http.getString("requestUri", "/");
      int q = uri.indexOf('?');
      String path = q < 0 ? uri : uri.substring(0, q);
      List<String> literals = new ArrayList<>();
      if (q >= 0) {
        for (String part : uri.substring(q + 1).split("&")) {
          if (!part.isEmpty()) literals.add(part.split("=", 2)[0]);
        }
      }
      List<String> segments = new ArrayList<>();
      for (String s : path.split("/")) {
        if (!s.isEmpty()) segments.add(s);
      }
      ops.put(
          name,
          new Operation(
              name,
              http.getString("method", "POST"),
              uri,
              List.copyOf(segments),
              List.copyOf(literals),
              http.getInteger("responseCode", 200),
              shapeName(op.getJsonObject("input")),
              shapeName(op.getJsonObject("output"))));
    }
    this.operations = Collections.unmodifiableMap(ops);
  }

  private static String shapeName(JsonObject ref) {
    return ref == null ? null : ref.getString("shape");
  }

  /** Reads a model from the classpath; {@code .gz} resources are decompressed. */
  public static ServiceModel fromResource(String resource) {
    try (InputStream raw = ServiceModel.class.getResourceAsStream(resource)) {
      if (raw == null) {
        throw new IllegalStateException("service model " + resource + " is not on the classpath");
      }
      InputStream in = resource.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
      return new ServiceModel(new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read service model " + resource, e);
    }
  }

  public static ServiceModel backup() {
    return fromResource("/models/backup-2018-11-15.json.gz");
  }

  public static ServiceModel cloudTrail() {
    return fromResource("/models/cloudtrail-2013-11-01.json.gz");
  }

  public static ServiceModel backupGateway() {
    return fromResource("/models/backup-gateway-2021-01-01.json.gz");
  }

  public static ServiceModel kms() {
    return fromResource("/models/kms-2014-11-01.json.gz");
  }

  public String serviceId() {
    return serviceId;
  }

  /** The service's host name prefix ({@code backup}, {@code backup-gateway}): how ApiCall names it. */
  public String endpointPrefix() {
    return endpointPrefix;
  }

  /** The service name in the SigV4 credential scope. */
  public String signingName() {
    return signingName;
  }

  /** JSON protocols: what {@code X-Amz-Target} starts with before {@code .<Operation>}; null otherwise. */
  public String targetPrefix() {
    return targetPrefix;
  }

  /** JSON protocols: {@code 1.0} or {@code 1.1}, the suffix of {@code application/x-amz-json-}. */
  public String jsonVersion() {
    return jsonVersion;
  }

  public String protocol() {
    return protocol;
  }

  public Map<String, Operation> operations() {
    return operations;
  }

  public Operation operation(String name) {
    Operation op = operations.get(name);
    if (op == null) throw new IllegalArgumentException("no operation " + name + " in " + serviceId);
    return op;
  }

  public JsonObject shape(String name) {
    JsonObject shape = shapes.getJsonObject(name);
    if (shape == null) throw new IllegalArgumentException("no shape " + name + " in " + serviceId);
    return shape;
  }

  public boolean hasShape(String name) {
    return shapes.containsKey(name);
  }

  /** The members of a structure shape, in model order. */
  public JsonObject members(String structure) {
    return shape(structure).getJsonObject("members", new JsonObject());
  }

  public List<String> required(String structure) {
    JsonArray req = shape(structure).getJsonArray("required");
    if (req == null) return List.of();
    List<String> out = new ArrayList<>();
    req.forEach(r -> out.add((String) r));
    return out;
  }

  /** The HTTP status of an error type declared in the model: 500 for faults, else 400. */
  public int errorStatus(String errorType) {
    JsonObject shape = shapes.getJsonObject(errorType);
    if (shape == null || !shape.getBoolean("exception", false)) return 400;
    JsonObject error = shape.getJsonObject("error");
    if (error != null && error.containsKey("httpStatusCode")) return error.getInteger("httpStatusCode");
    return shape.getBoolean("fault", false) ? 500 : 400;
  }
}
