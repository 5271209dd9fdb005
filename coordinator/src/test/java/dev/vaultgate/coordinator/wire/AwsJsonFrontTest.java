package dev.vaultgate.coordinator.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.auth.SigV4Verifier;
import dev.vaultgate.coordinator.testing.SignedHttp;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupClient;
import software.amazon.awssdk.services.backup.model.BackupException;
import software.amazon.awssdk.services.backupgateway.BackupGatewayClient;
import software.amazon.awssdk.services.backupgateway.model.GatewayType;
import software.amazon.awssdk.services.backupgateway.model.ListGatewaysResponse;
import software.amazon.awssdk.services.backupgateway.model.ResourceNotFoundException;
import software.amazon.awssdk.services.backupgateway.model.ValidationException;

/**
 * The JSON-protocol front on its own router, in front of a REST-JSON front as the coordinator
 * mounts them, called by the real backup-gateway and backup SDK clients and by raw signed
 * requests. The operation handlers are the test's own (the front knows no operation); the access
 * keys are the real store on the embedded database.
 */
class AwsJsonFrontTest {

  static final String TARGET = "BackupOnPremises_v20210101.";
  static final List<ApiCall> calls = new CopyOnWriteArrayList<>();
  static final AtomicBoolean observerFails = new AtomicBoolean();
  static TestCoordinator env;
  static Vertx vertx;
  static HttpServer server;
  static URI endpoint;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    vertx = Vertx.vertx();
    CallObserver observer = call -> {
      calls.add(call);
      if (observerFails.get()) throw new IllegalStateException("the observer broke");
    };
    Map<String, OperationHandler> gatewayOps = Map.of(
        "ListGateways", (call, in) -> Future.succeededFuture(new JsonObject().put("Gateways", new JsonArray().add(
            new JsonObject()
                .put("GatewayArn", "arn:aws:backup-gateway:us-east-1:" + call.accountId() + ":gateway/sgw-0000AAAA")
                .put("GatewayDisplayName", "max " + in.getLong("MaxResults"))
                .put("GatewayType", "BACKUP_VM")
                .put("LastSeenTime", 1_700_000_000L)
                .putNull("HypervisorId")))),
        "GetGateway", (call, in) -> Future.failedFuture(
            ApiException.notFound("Gateway " + in.getString("GatewayArn") + " does not exist")),
        "DeleteGateway", (call, in) -> { throw new IllegalStateException("a bug in a handler"); });
    Router router = Router.router(vertx);
    new AwsJsonFront(ServiceModel.backupGateway(), new SigV4Verifier("backup-gateway", "us-east-1"),
        env.coordinator.accessKeys(), gatewayOps, Clock.systemUTC(), 4096, observer).mount(router);
    new RestJsonFront(ServiceModel.backup(), new SigV4Verifier("backup", "us-east-1"), env.coordinator.accessKeys(),
        Map.of(), Clock.systemUTC(), 4096, observer).mount(router);
    server = TestCoordinator.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    endpoint = URI.create("http://127.0.0.1:" + server.actualPort());
  }

  @AfterAll
  static void stop() {
    TestCoordinator.await(vertx.close());
  }

  @BeforeEach
  void clear() {
    calls.clear();
    observerFails.set(false);
  }

  static BackupGatewayClient gatewayClient(AccessKey key) {
    return BackupGatewayClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .httpClientBuilder(Apache5HttpClient.builder())
        .build();
  }

  static SignedHttp.Response json(String operation, String body) {
    return SignedHttp.sendJson(endpoint, env.admin(), "backup-gateway", TARGET + operation,
        "application/x-amz-json-1.0", body);
  }

  static void assertJsonError(SignedHttp.Response r, int status, String type) {
    assertEquals(status, r.status(), r.body());
    assertEquals(type, r.header("x-amzn-ErrorType"));
    assertEquals("application/x-amz-json-1.0", r.header("Content-Type"));
    assertEquals(type, r.json().getString("__type"));
    assertNotNull(r.json().getString("message"));
    assertNotNull(r.header("x-amzn-RequestId"));
    assertFalse(r.body().contains("\tat ") || r.body().contains(".java"), "no stack trace in " + r.body());
  }

  /**
   * The first call the observer heard that matches: the front tells the observer just after the
   * answer is written, so the client may return first, and a call of the test before may still be
   * told after this test began; each test therefore picks out its own call.
   */
  private static ApiCall observed(Predicate<ApiCall> mine) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      for (ApiCall call : calls) {
        if (mine.test(call)) return call;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new AssertionError("the observer never heard the call; it heard " + calls);
  }

  private static Predicate<ApiCall> byAccount(AccessKey key) {
    return call -> call.caller() != null && key.accountId().equals(call.caller().accountId());
  }

  @Test
  void theSdkClientCallsAnOperationThroughTheFrontAndTheObserverIsTold() {
    AccessKey key = env.newAccount();
    try (BackupGatewayClient client = gatewayClient(key)) {
      ListGatewaysResponse r = client.listGateways(b -> b.maxResults(7));
      assertEquals(1, r.gateways().size());
      assertEquals("arn:aws:backup-gateway:us-east-1:" + key.accountId() + ":gateway/sgw-0000AAAA",
          r.gateways().get(0).gatewayArn());
      assertEquals("max 7", r.gateways().get(0).gatewayDisplayName(), "the handler got the typed input");
      assertEquals(GatewayType.BACKUP_VM, r.gateways().get(0).gatewayType());
      assertEquals(Instant.ofEpochSecond(1_700_000_000L), r.gateways().get(0).lastSeenTime());
    }
    ApiCall call = observed(byAccount(key));
    assertEquals(1, calls.stream().filter(byAccount(key)).count());
    assertEquals("backup-gateway", call.service());
    assertEquals("ListGateways", call.operation());
    assertEquals(key.accountId(), call.caller().accountId());
    assertEquals(7L, call.input().getLong("MaxResults"));
    assertEquals(200, call.status());
    assertNull(call.errorCode());
    assertEquals("127.0.0.1", call.sourceAddress());
    assertTrue(call.userAgent().contains("aws-sdk-java"), call.userAgent());
  }

  @Test
  void aValueOutsideTheModelIsAValidationExceptionTheSdkRecognizes() {
    AccessKey key = env.newAccount();
    try (BackupGatewayClient client = gatewayClient(key)) {
      ValidationException e = assertThrows(ValidationException.class, () -> client.listGateways(b -> b.maxResults(0)));
      assertEquals(400, e.statusCode());
      assertTrue(e.getMessage().contains("MaxResults"), e.getMessage());
    }
    assertEquals("ValidationException", observed(byAccount(key)).errorCode());
  }

  @Test
  void aMissingRequiredMemberIsAValidationException() {
    SignedHttp.Response r = json("GetGateway", "{}");
    assertJsonError(r, 400, "ValidationException");
    assertTrue(r.json().getString("message").contains("GatewayArn"), r.body());
  }

  @Test
  void anUnknownMemberIsAValidationExceptionNamingIt() {
    SignedHttp.Response r = json("ListGateways", "{\"Colour\":\"red\"}");
    assertJsonError(r, 400, "ValidationException");
    assertTrue(r.json().getString("message").contains("Colour"), r.body());
  }

  @Test
  void aHandlersErrorReachesTheSdkAsItsType() {
    try (BackupGatewayClient client = gatewayClient(env.admin())) {
      String arn = "arn:aws:backup-gateway:us-east-1:" + env.admin().accountId() + ":gateway/sgw-12345678";
      ResourceNotFoundException e =
          assertThrows(ResourceNotFoundException.class, () -> client.getGateway(b -> b.gatewayArn(arn)));
      assertEquals(400, e.statusCode(), "the model gives ResourceNotFoundException no status: 400");
      assertTrue(e.getMessage().contains(arn), e.getMessage());
    }
  }

  @Test
  void anOperationWithoutAHandlerIs501NotImplemented() {
    SignedHttp.Response r = json("UpdateGatewaySoftwareNow",
        "{\"GatewayArn\":\"arn:aws:backup-gateway:us-east-1:000000000000:gateway/sgw-12345678\"}");
    assertJsonError(r, 501, "NotImplementedException");
    assertTrue(r.json().getString("message").contains("UpdateGatewaySoftwareNow"));
  }

  @Test
  void aTargetOfThisServiceNamingNoOperationIsUnknownOperation() {
    assertJsonError(json("BakeACake", "{}"), 400, "UnknownOperationException");
  }

  @Test
  void aBugInAHandlerIsAnInternalServerErrorWithoutAStackTrace() {
    SignedHttp.Response r = json("DeleteGateway",
        "{\"GatewayArn\":\"arn:aws:backup-gateway:us-east-1:000000000000:gateway/sgw-12345678\"}");
    assertJsonError(r, 500, "InternalServerException");
    assertFalse(r.body().contains("a bug in a handler"));
  }

  @Test
  void malformedJsonIsASerializationException() {
    assertJsonError(json("ListGateways", "{\"MaxResults\": "), 400, "SerializationException");
    assertJsonError(json("ListGateways", "[1]"), 400, "SerializationException");
  }

  @Test
  void anotherContentTypeIsASerializationException() {
    SignedHttp.Response r = SignedHttp.sendJson(endpoint, env.admin(), "backup-gateway", TARGET + "ListGateways",
        "text/plain", "{}");
    assertEquals(400, r.status(), r.body());
    assertEquals("SerializationException", r.json().getString("__type"));
    assertTrue(r.json().getString("message").contains("text/plain"));
  }

  @Test
  void jsonVersion11IsAcceptedToo() {
    SignedHttp.Response r = SignedHttp.sendJson(endpoint, env.admin(), "backup-gateway", TARGET + "ListGateways",
        "application/x-amz-json-1.1", "{}");
    assertEquals(200, r.status(), r.body());
    assertEquals("application/x-amz-json-1.0", r.header("Content-Type"), "answered in the service's own version");
    assertFalse(r.json().getJsonArray("Gateways").getJsonObject(0).containsKey("HypervisorId"), "nulls are left out");
  }

  @Test
  void aSignatureForAnotherServiceIsRefused() {
    SignedHttp.Response r = SignedHttp.sendJson(endpoint, env.admin(), "backup", TARGET + "ListGateways",
        "application/x-amz-json-1.0", "{}");
    assertJsonError(r, 403, "InvalidSignatureException");
    ApiCall refused = observed(call -> "InvalidSignatureException".equals(call.errorCode()));
    assertNull(refused.caller(), "the observer hears of refused calls, with no caller");
    assertEquals("ListGateways", refused.operation());
  }

  @Test
  void anUnsignedRequestIsMissingAuthenticationToken() throws Exception {
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(URI.create(endpoint + "/"))
            .header("X-Amz-Target", TARGET + "ListGateways")
            .header("Content-Type", "application/x-amz-json-1.0")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(403, r.statusCode());
    assertEquals("MissingAuthenticationTokenException", new JsonObject(r.body()).getString("__type"));
  }

  @Test
  void aTooLargeBodyIs413InTheJsonShape() {
    SignedHttp.Response r = json("ListGateways", "{\"NextToken\":\"" + "x".repeat(5000) + "\"}");
    assertJsonError(r, 413, "RequestEntityTooLargeException");
  }

  @Test
  void requestsForOtherServicesPassOnToTheRestFront() {
    // another JSON service's target: not ours, so the REST front (signed for backup) answers it
    SignedHttp.Response r = SignedHttp.sendJson(endpoint, env.admin(), "backup", "TrentService.ListKeys",
        "application/x-amz-json-1.1", "{}");
    assertEquals(404, r.status(), r.body());
    assertEquals("UnknownOperationException", r.json().getString("code"), "the REST-JSON error shape");
    try (BackupClient backup = TestCoordinator.client(endpoint, env.admin())) {
      BackupException e = assertThrows(BackupException.class, () -> backup.listBackupVaults(b -> { }));
      assertEquals(501, e.statusCode());
      assertEquals("NotImplementedException", e.awsErrorDetails().errorCode());
    }
    ApiCall rest = observed(call -> "ListBackupVaults".equals(call.operation()));
    assertEquals("backup", rest.service(), "the REST front tells the observer too");
    assertEquals("ListBackupVaults", rest.operation());
    assertEquals(501, rest.status());
  }

  @Test
  void aFailingObserverNeverChangesTheAnswer() {
    observerFails.set(true);
    try (BackupGatewayClient client = gatewayClient(env.admin())) {
      assertEquals(1, client.listGateways(b -> { }).gateways().size());
    } catch (SdkException e) {
      throw new AssertionError("the observer's failure reached the client", e);
    }
  }
}
