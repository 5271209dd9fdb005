package dev.vaultgate.appliance.web;

import dev.vaultgate.agent.bandwidth.BandwidthSchedule;
import dev.vaultgate.appliance.config.ApplianceConfig;
import dev.vaultgate.appliance.config.PasswordHash;
import dev.vaultgate.appliance.runtime.GatewayRuntime;
import dev.vaultgate.appliance.runtime.HealthMonitor;
import dev.vaultgate.appliance.runtime.JobBoard;
import dev.vaultgate.appliance.runtime.ProtectedResource;
import dev.vaultgate.agent.bandwidth.BandwidthSchedule;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The local web UI and its API. Every page and {@code /api/} call needs the admin session cookie
 * ({@value #COOKIE}: HttpOnly, Secure, SameSite=Strict), got by posting the admin password to {@code /login};
 * {@code /health} needs none. State-changing calls must also come from the UI's own origin. Password checks
 * (PBKDF2, deliberately slow) run on a one-thread worker, so guessing cannot take the event loop or every core.
 */
public final class WebUi {
  public static final String COOKIE = "vaultgate_session";
  private static final Logger log = LoggerFactory.getLogger(WebUi.class);
  private static final long FAILED_LOGIN_DELAY_MS = 1000;
  private static final long SSE_PING_MS = 15_000;

  /** What the UI can ask the gateway to do, and the lsblk discovery it offers. */
  public interface Actions {
    Future<?> backupVolume(String name);

    Future<JsonArray> discoverBlockDevices();

    /** The gateway's certificate as the UI shows it, or null before the gateway registered. */
    JsonObject certificate();
  }

  private final Vertx vertx;
  private final GatewayRuntime runtime;
  private final Actions actions;
  private final PasswordHash adminPassword;
  private final AdminSessions sessions;
  private final WorkerExecutor passwordChecks;

  public WebUi(Vertx vertx, GatewayRuntime runtime, Actions actions, Clock clock) {
    this.vertx = vertx;
    this.runtime = runtime;
    this.actions = actions;
    this.adminPassword = PasswordHash.parse(runtime.config().webUi().adminPasswordHash());
    this.sessions = new AdminSessions(clock);
    this.passwordChecks = vertx.createSharedWorkerExecutor("web-login", 1);
  }

  public Future<HttpServer> listen(HttpServerOptions options) {
    return vertx.createHttpServer(options).requestHandler(router()).listen();
  }

  Router router() {
    Router r = Router.router(vertx);
    r.route().handler(this::securityHeaders);
    r.get("/health").handler(this::health);
    r.get("/login").handler(ctx -> ctx.response().sendFile("webui/login.html"));
    r.get("/login.css").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/css").sendFile("webui/app.css"));
    r.get("/login.js").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/javascript").sendFile("webui/login.js"));
    r.post("/login").handler(BodyHandler.create().setBodyLimit(4096)).handler(this::login);
    r.route().handler(this::requireSession);
    r.post().handler(this::requireSameOrigin);
    r.post("/logout").handler(this::logout);
    r.get("/api/state").handler(this::state);
    r.get("/api/events").handler(this::events);
    r.get("/api/devices").handler(ctx -> actions.discoverBlockDevices()
        .onSuccess(d -> json(ctx.response(), 200, new JsonObject().put("devices", d)))
        .onFailure(e -> error(ctx.response(), 500, "cannot list block devices: " + e.getMessage())));
    r.post("/api/volumes/:name/backup").handler(ctx -> {
      String name = ctx.pathParam("name");
      if (runtime.config().localVolumes().stream().noneMatch(v -> v.name().equals(name))) {
        error(ctx.response(), 404, "no local volume named '" + name + "' in the config");
        return;
      }
      actions.backupVolume(name).onFailure(e -> log.warn("backup of local volume {} failed: {}", name, e.getMessage()));
      json(ctx.response(), 202, new JsonObject().put("accepted", true).put("volume", name));
    });
    r.get("/*").handler(StaticHandler.create("webui").setCachingEnabled(false).setIndexPage("index.html"));
    return r;
  }

  private void securityHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Strict-Transport-Security", "max-age=31536000")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    ctx.next();
  }

  private void health(RoutingContext ctx) {
    HealthMonitor h = runtime.health();
    String overall = h.overall();
    json(ctx.response(), "UP".equals(overall) ? 200 : 503, new JsonObject()
        .put("status", overall)
        .put("gateway", runtime.config().gatewayName())
        .put("version", runtime.version())
        .put("checks", h.snapshot())
        .put("runningJobs", runtime.jobs().runningCount()));
  }

  private void login(RoutingContext ctx) {
    String password = ctx.request().getFormAttribute("password");
    if (password == null || password.length() > 1024) {
      ctx.response().setStatusCode(400).end("login: expected a form field 'password'");
      return;
    }
    passwordChecks.executeBlocking(() -> adminPassword.matches(password.toCharArray()), false).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        Cookie c = Cookie.cookie(COOKIE, sessions.create()).setPath("/").setHttpOnly(true).setSecure(true)
            .setSameSite(CookieSameSite.STRICT);
        ctx.response().addCookie(c).setStatusCode(303).putHeader(HttpHeaders.LOCATION, "/").end();
      } else {
        log.warn("failed web UI login from {}", ctx.request().remoteAddress());
        // A fixed pause on top of PBKDF2's cost slows guessing further; the event loop stays free.
        vertx.setTimer(FAILED_LOGIN_DELAY_MS, t -> ctx.response().setStatusCode(303)
            .putHeader(HttpHeaders.LOCATION, "/login?failed=1").end());
      }
    });
  }

  private void requireSession(RoutingContext ctx) {
    Cookie c = ctx.request().getCookie(COOKIE);
    if (c != null && sessions.touch(c.getValue())) {
      ctx.next();
      return;
    }
    String path = ctx.request().path();
    if (path.startsWith("/api/") || ctx.request().method() != io.vertx.core.http.HttpMethod.GET) {
      error(ctx.response(), 401, "log in first: POST /login with the admin password");
    } else {
      ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, "/login").end();
    }
  }

  /** A state-changing request must come from the UI's own pages: Origin (or Referer) names this host. */
  private void requireSameOrigin(RoutingContext ctx) {
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    if (origin == null) {
      origin = ctx.request().getHeader(HttpHeaders.REFERER);
    }
    String host = ctx.request().authority() == null ? null : ctx.request().authority().toString();
    try {
      if (origin != null && host != null && host.equalsIgnoreCase(URI.create(origin).getRawAuthority())) {
        ctx.next();
        return;
      }
    } catch (IllegalArgumentException ignored) {
      // a malformed Origin is refused below
    }
    error(ctx.response(), 403, "refused: a state-changing request must come from this web UI's own pages");
  }

  private void logout(RoutingContext ctx) {
    Cookie c = ctx.request().getCookie(COOKIE);
    sessions.end(c == null ? null : c.getValue());
    ctx.response().addCookie(Cookie.cookie(COOKIE, "").setPath("/").setHttpOnly(true).setSecure(true)
        .setSameSite(CookieSameSite.STRICT).setMaxAge(0)).setStatusCode(303).putHeader(HttpHeaders.LOCATION, "/login").end();
  }

  private void state(RoutingContext ctx) {
    ApplianceConfig c = runtime.config();
    JsonArray resources = new JsonArray();
    runtime.resources().stream().map(ProtectedResource::toJson).forEach(resources::add);
    JsonArray schedule = new JsonArray();
    BandwidthSchedule bandwidth = runtime.bandwidthSchedule();
    bandwidth.intervals().forEach(i -> schedule.add(new JsonObject()
        .put("days", new JsonArray(i.days().stream().sorted().map(d -> d.name().substring(0, 3)).toList()))
        .put("start", timeOfDay(i.startSecond())).put("end", timeOfDay(i.endSecond()))
        .put("uploadBitsPerSecond", i.uploadBitsPerSecond().isPresent() ? i.uploadBitsPerSecond().getAsLong() : null)));
    json(ctx.response(), 200, new JsonObject()
        .put("gateway", new JsonObject().put("name", c.gatewayName()).put("version", runtime.version())
            .put("coordinatorUrl", c.coordinatorUrl().toString()).put("vault", c.vault().url())
            .put("maxConcurrentJobs", c.maxConcurrentJobs()).put("certificate", actions.certificate()))
        .put("health", runtime.health().snapshot())
        .put("jobs", runtime.jobs().snapshot())
        .put("resources", resources)
        .put("bandwidth", new JsonObject().put("uploadBitsPerSecond",
                bandwidth.defaultBitsPerSecond().isPresent() ? bandwidth.defaultBitsPerSecond().getAsLong() : null)
            .put("source", runtime.bandwidthScheduleSource())
            .put("schedule", schedule)));
  }

  private static String timeOfDay(int second) {
    return second >= 24 * 3600 ? "24:00" : java.time.LocalTime.ofSecondOfDay(second).toString();
  }

  /** Server-sent events: every job and health change from the event bus, as it happens. */
  private void events(RoutingContext ctx) {
    HttpServerResponse res = ctx.response();
    res.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream").putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    res.write(": connected\n\n");
    List<MessageConsumer<JsonObject>> consumers = List.of(
        vertx.eventBus().<JsonObject>consumer(JobBoard.EVENTS, m -> send(res, "job", m.body())),
        vertx.eventBus().<JsonObject>consumer(HealthMonitor.EVENTS, m -> send(res, "health", m.body())));
    long ping = vertx.setPeriodic(SSE_PING_MS, t -> {
      if (!res.writeQueueFull()) {
        res.write(": ping\n\n");
      }
    });
    Runnable stop = () -> {
      consumers.forEach(MessageConsumer::unregister);
      vertx.cancelTimer(ping);
    };
    res.closeHandler(v -> stop.run());
    res.exceptionHandler(e -> stop.run());
  }

  private static void send(HttpServerResponse res, String event, JsonObject body) {
    // A browser that cannot keep up misses progress events, never the server's memory: state comes back on reload.
    if (!res.closed() && !res.writeQueueFull()) {
      res.write("event: " + event + "\ndata: " + body.encode() + "\n\n");
    }
  }

  static void json(HttpServerResponse res, int status, JsonObject body) {
    res.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }

  static void error(HttpServerResponse res, int status, String message) {
    json(res, status, new JsonObject().put("error", message));
  }

  /** For callers that hold a supplier rather than an Actions. */
  public static Actions actions(Function<String, Future<?>> backup, Supplier<Future<JsonArray>> devices, Supplier<JsonObject> certificate) {
    return new Actions() {
      @Override
      public Future<?> backupVolume(String name) {
        return backup.apply(name);
      }

      @Override
      public Future<JsonArray> discoverBlockDevices() {
        return devices.get();
      }

      @Override
      public JsonObject certificate() {
        return certificate.get();
      }
    };
  }
}
