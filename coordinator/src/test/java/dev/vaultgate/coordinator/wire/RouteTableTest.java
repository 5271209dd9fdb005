package dev.vaultgate.coordinator.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.SigV4Verifier;
import dev.vaultgate.coordinator.backup.BackupApiRoutes;
import io.vertx.core.MultiMap;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The route table is the botocore model's: every operation is reached by its own method and path. */
class RouteTableTest {

  static final ServiceModel MODEL = ServiceModel.backup();
  static final RestJsonFront FRONT = new RestJsonFront(MODEL, new SigV4Verifier("backup", "us-east-1"), null,
      Map.of(), Clock.systemUTC(), RestJsonFront.DEFAULT_BODY_LIMIT);

  @Test
  void everyOperationOfTheModelRoutesFromItsOwnRequestUri() {
    assertTrue(MODEL.operations().size() > 100, "the current model has over a hundred operations");
    for (ServiceModel.Operation op : MODEL.operations().values()) {
      String uri = op.requestUri().replaceAll("\\{[^}]+}", "x-label");
      String path = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
      MultiMap query = MultiMap.caseInsensitiveMultiMap();
      if (uri.contains("?")) {
        for (String q : uri.substring(uri.indexOf('?') + 1).split("&")) query.add(q.split("=")[0], "");
      }
      ServiceModel.Operation routed = FRONT.route(op.method(), path, query);
      assertEquals(op.name(), routed == null ? null : routed.name(), op.method() + " " + op.requestUri());
    }
  }

  @Test
  void trailingSlashesAreOptionalAsTheCliSendsThem() {
    MultiMap none = MultiMap.caseInsensitiveMultiMap();
    assertEquals("GetBackupPlan", FRONT.route("GET", "/backup/plans/p1/", none).name());
    assertEquals("GetBackupPlan", FRONT.route("GET", "/backup/plans/p1", none).name());
    assertEquals("UpdateBackupPlan", FRONT.route("POST", "/backup/plans/p1", none).name());
    assertEquals("ListBackupVaults", FRONT.route("GET", "/backup-vaults/", none).name());
    assertEquals("ListTags", FRONT.route("GET", "/tags/arn%3Aaws%3Abackup%3Aus-east-1%3A1%3Abackup-vault%3Av/", none).name());
  }

  @Test
  void encodedSlashesDoNotSplitALabel() {
    MultiMap none = MultiMap.caseInsensitiveMultiMap();
    assertEquals("DescribeBackupVault", FRONT.route("GET", "/backup-vaults/a%2Fb", none).name());
    assertNull(FRONT.route("GET", "/backup-vaults/a/b/c/d/e", none));
    assertNull(FRONT.route("GET", "/backup-vaults//", none));
  }

  @Test
  void everyHandlerNamesAnOperationOfTheModel() {
    for (String op : BackupApiRoutes.handlers(MODEL, null, "us-east-1").keySet()) {
      assertTrue(MODEL.operations().containsKey(op), op);
    }
  }
}
