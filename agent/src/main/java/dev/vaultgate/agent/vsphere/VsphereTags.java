package dev.vaultgate.agent.vsphere;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/**
 * vSphere tags through vCenter's REST API ({@code /rest/com/vmware/cis/...}): a session from
 * {@code POST /rest/com/vmware/cis/session} with the vCenter credentials (renewed once when it expires), then the
 * tagging service. Asynchronous (the JDK's HTTP client; answers come back on the caller's Vert.x context), over
 * TLS that trusts only the pinned vCenter certificate.
 */
public final class VsphereTags {
  private static final String REST = "/rest/com/vmware/cis";

  private final Vertx vertx;
  private final VcenterEndpoint endpoint;
  private final HttpClient http;
  private final Map<String, JsonObject> tagCache = new ConcurrentHashMap<>();
  private final Map<String, String> categoryNames = new ConcurrentHashMap<>();
  private volatile String session;

  VsphereTags(Vertx vertx, VcenterEndpoint endpoint, SSLContext tls) {
    this.vertx = vertx;
    this.endpoint = endpoint;
    this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(endpoint.timeout()).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** One vSphere tag: its category's name and its own. */
  public record Tag(String id, String category, String name, String description) {
  }

  /** The tags attached to each VM (by moref; a VM without tags maps to an empty list). */
  public Future<Map<String, List<Tag>>> tagsOfVms(List<String> morefs) {
    JsonArray objects = new JsonArray();
    morefs.forEach(m -> objects.add(new JsonObject().put("type", "VirtualMachine").put("id", m)));
    return call("POST", "/tagging/tag-association?~action=list-attached-tags-on-objects", new JsonObject().put("object_ids", objects))
        .compose(answer -> {
          Map<String, List<String>> ids = new LinkedHashMap<>();
          morefs.forEach(m -> ids.put(m, new ArrayList<>()));
          for (Object o : orEmpty(answer.getJsonArray("value"))) {
            JsonObject entry = (JsonObject) o;
            JsonObject object = entry.getJsonObject("object_id");
            String moref = object == null ? null : object.getString("id");
            JsonArray tagIds = orEmpty(entry.getJsonArray("tag_ids")); // the simulator answers null for none
            if (moref != null && ids.containsKey(moref)) {
              tagIds.forEach(t -> ids.get(moref).add(String.valueOf(t)));
            }
          }
          List<String> distinct = ids.values().stream().flatMap(List::stream).distinct().toList();
          Future<Void> resolved = Future.succeededFuture();
          for (String id : distinct) {
            resolved = resolved.compose(v -> tag(id).mapEmpty());
          }
          return resolved.map(v -> {
            Map<String, List<Tag>> out = new LinkedHashMap<>();
            ids.forEach((moref, tagIds) -> out.put(moref, tagIds.stream().map(this::cached).toList()));
            return out;
          });
        });
  }

  /** Tags as selection tags: category → tag name (names of several tags of one category joined with ','). */
  public static Map<String, String> asMap(List<Tag> tags) {
    Map<String, String> out = new TreeMap<>();
    for (Tag t : tags) {
      out.merge(t.category(), t.name(), (a, b) -> a + "," + b);
    }
    return out;
  }

  /** Forgets tag and category names, so renamed ones are read again. */
  public void forgetNames() {
    tagCache.clear();
    categoryNames.clear();
  }

  private Tag cached(String id) {
    JsonObject t = tagCache.get(id);
    return new Tag(id, categoryNames.getOrDefault(t.getString("category_id"), t.getString("category_id")), t.getString("name"),
        t.getString("description"));
  }

  private Future<JsonObject> tag(String id) {
    JsonObject known = tagCache.get(id);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return call("GET", "/tagging/tag/id:" + encode(id), null).compose(answer -> {
      JsonObject t = answer.getJsonObject("value", new JsonObject());
      tagCache.put(id, t);
      String category = t.getString("category_id");
      if (category == null || categoryNames.containsKey(category)) {
        return Future.succeededFuture(t);
      }
      return call("GET", "/tagging/category/id:" + encode(category), null).map(c -> {
        categoryNames.put(category, c.getJsonObject("value", new JsonObject()).getString("name", category));
        return t;
      });
    });
  }

  /** Creates a category for VMs (one tag per VM when {@code single}); its id. */
  public Future<String> createCategory(String name, boolean single) {
    JsonObject spec = new JsonObject().put("name", name).put("description", "").put("cardinality", single ? "SINGLE" : "MULTIPLE")
        .put("associable_types", new JsonArray().add("VirtualMachine"));
    return call("POST", "/tagging/category", new JsonObject().put("create_spec", spec)).map(a -> a.getString("value"));
  }

  /** Creates a tag in a category; its id. */
  public Future<String> createTag(String categoryId, String name) {
    JsonObject spec = new JsonObject().put("name", name).put("description", "").put("category_id", categoryId);
    return call("POST", "/tagging/tag", new JsonObject().put("create_spec", spec)).map(a -> a.getString("value"));
  }

  /** Attaches a tag to a VM. */
  public Future<Void> attach(String tagId, String vmMoref) {
    JsonObject object = new JsonObject().put("object_id", new JsonObject().put("type", "VirtualMachine").put("id", vmMoref));
    return call("POST", "/tagging/tag-association/id:" + encode(tagId) + "?~action=attach", object).mapEmpty();
  }

  private Future<String> login() {
    String basic = Base64.getEncoder().encodeToString((endpoint.user() + ":" + endpoint.password()).getBytes(StandardCharsets.UTF_8));
    HttpRequest req = HttpRequest.newBuilder(uri("/session")).timeout(endpoint.timeout())
        .header("Authorization", "Basic " + basic).POST(HttpRequest.BodyPublishers.noBody()).build();
    return send(req, "log in to the REST API").map(res -> {
      if (res.statusCode() == 401 || res.statusCode() == 403) {
        throw new VcenterLoginException("cannot log in to vCenter " + endpoint.hostPort() + "'s REST API as " + endpoint.user()
            + ": the user name or password is wrong", null);
      }
      JsonObject body = json(res, "log in to the REST API");
      session = body.getString("value");
      return session;
    });
  }

  private Future<JsonObject> call(String method, String path, JsonObject body) {
    Future<String> s = session != null ? Future.succeededFuture(session) : login();
    return s.compose(id -> callWith(id, method, path, body)).compose(res -> {
      if (res.statusCode() != 401) {
        return Future.succeededFuture(res);
      }
      return login().compose(id -> callWith(id, method, path, body)); // the session expired: once more with a new one
    }).map(res -> json(res, method + " " + path));
  }

  private Future<HttpResponse<String>> callWith(String sessionId, String method, String path, JsonObject body) {
    HttpRequest req = HttpRequest.newBuilder(uri(path)).timeout(endpoint.timeout())
        .header("vmware-api-session-id", sessionId)
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
    return send(req, method + " " + path);
  }

  private Future<HttpResponse<String>> send(HttpRequest req, String what) {
    return Future.fromCompletionStage(http.sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)),
            vertx.getOrCreateContext())
        .recover(e -> Future.failedFuture(new VsphereException("cannot " + what + " on vCenter " + endpoint.hostPort()
            + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), true, e)));
  }

  private JsonObject json(HttpResponse<String> res, String what) {
    if (res.statusCode() / 100 != 2) {
      throw new VsphereException("cannot " + what + " on vCenter " + endpoint.hostPort() + ": HTTP " + res.statusCode() + " "
          + res.body().replace('\n', ' '), res.statusCode() >= 500);
    }
    try {
      return res.body().isEmpty() ? new JsonObject() : new JsonObject(res.body());
    } catch (DecodeException e) {
      throw new VsphereException("cannot " + what + " on vCenter " + endpoint.hostPort() + ": the answer is not JSON", false, e);
    }
  }

  private URI uri(String path) {
    return URI.create("https://" + endpoint.hostPort() + REST + path);
  }

  private static JsonArray orEmpty(JsonArray a) {
    return a == null ? new JsonArray() : a;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
