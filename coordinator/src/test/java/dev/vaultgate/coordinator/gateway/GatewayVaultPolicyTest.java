package dev.vaultgate.coordinator.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The gateway's bucket policy as a document (its effect on a real RGW is the appliance's
 * GatewayVaultCredentialsTest), and the activation-key lifetime option.
 */
class GatewayVaultPolicyTest {

  @Test
  void theGatewayMayWriteAndReadButEveryWayOfDestroyingIsDenied() {
    JsonObject policy = new JsonObject(GatewayVaultPolicy.forBucket("vaults", List.of("root"), List.of("local"), "arn:aws:iam:::user/gw", "arn:aws:iam:::user/owner"));
    JsonArray statements = policy.getJsonArray("Statement");
    assertEquals(6, statements.size());
    JsonObject owner = statements.getJsonObject(0);
    assertEquals("arn:aws:iam:::user/owner", owner.getJsonObject("Principal").getJsonArray("AWS").getString(0));
    JsonObject writes = statements.getJsonObject(1);
    assertEquals("Allow", writes.getString("Effect"));
    assertEquals(new JsonArray().add("arn:aws:s3:::vaults/*"), writes.getJsonArray("Resource"));
    for (Object action : writes.getJsonArray("Action")) {
      assertFalse(((String) action).contains("Delete") || ((String) action).contains("Bypass")
          || ((String) action).contains("LegalHold") && ((String) action).startsWith("s3:Put"), "allowed: " + action);
    }
    assertTrue(writes.getJsonArray("Action").contains("s3:PutObject") && writes.getJsonArray("Action").contains("s3:GetObject"));
    JsonArray lockObjects = new JsonArray().add("arn:aws:s3:::vaults/root/????????????/*/locks/*")
        .add("arn:aws:s3:::vaults/local/locks/*");
    JsonObject locks = statements.getJsonObject(3);
    assertEquals("Allow", locks.getString("Effect"));
    assertEquals(lockObjects, locks.getJsonArray("Resource"), "deletes only the vault engine's lock objects");
    JsonObject deny = statements.getJsonObject(4);
    assertEquals("Deny", deny.getString("Effect"));
    for (String never : new String[] {"s3:BypassGovernanceRetention", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration",
        "s3:PutBucketPolicy", "s3:PutObjectLegalHold"}) {
      assertTrue(deny.getJsonArray("Action").contains(never), never);
    }
    assertEquals(new JsonArray().add("arn:aws:s3:::vaults").add("arn:aws:s3:::vaults/*"), deny.getJsonArray("Resource"));
    JsonObject denyDeletes = statements.getJsonObject(5);
    assertEquals("Deny", denyDeletes.getString("Effect"));
    assertEquals(new JsonArray().add("s3:DeleteObject").add("s3:DeleteObjectVersion"), denyDeletes.getJsonArray("Action"));
    assertEquals(lockObjects, denyDeletes.getJsonArray("NotResource"), "every delete outside the locks is denied");
    assertEquals(5, new JsonObject(GatewayVaultPolicy.forBucket("vaults", List.of(""), List.of(), "arn:aws:iam::123456789012:user/gw", null))
        .getJsonArray("Statement").size(), "on AWS no owner statement is needed");
  }

  @Test
  void aMalformedBucketOrPrincipalIsNamed() {
    IllegalArgumentException bucket = assertThrows(IllegalArgumentException.class,
        () -> GatewayVaultPolicy.forBucket("Bad_Bucket", List.of(""), List.of(), "arn:aws:iam:::user/gw", null));
    assertTrue(bucket.getMessage().startsWith("bucket Bad_Bucket: expected"), bucket.getMessage());
    IllegalArgumentException principal = assertThrows(IllegalArgumentException.class,
        () -> GatewayVaultPolicy.forBucket("vaults", List.of(""), List.of(), "gw\"}", null));
    assertTrue(principal.getMessage().startsWith("gateway principal gw\"}: expected an IAM ARN"), principal.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GatewayVaultPolicy.forBucket("vaults", List.of(""), List.of(), "*", null));
  }

  @Test
  void lifetimesParseInTheirUnitsWithinOneMinuteToSevenDays() {
    assertEquals(Duration.ofMinutes(30), GatewayCommands.parseLifetime("30m"));
    assertEquals(Duration.ofHours(2), GatewayCommands.parseLifetime("2h"));
    assertEquals(Duration.ofDays(7), GatewayCommands.parseLifetime("7d"));
    assertEquals(Duration.ofSeconds(90), GatewayCommands.parseLifetime("90s"));
    assertEquals("--expires-in 30s: expected 1m to 7d",
        assertThrows(IllegalArgumentException.class, () -> GatewayCommands.parseLifetime("30s")).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> GatewayCommands.parseLifetime("half an hour"))
        .getMessage().startsWith("--expires-in half an hour: expected a number and a unit"));
  }
}
