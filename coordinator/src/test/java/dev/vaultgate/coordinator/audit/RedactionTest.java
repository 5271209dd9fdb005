package dev.vaultgate.coordinator.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class RedactionTest {

  @Test
  void kmsPlaintextAndNestedPasswordsAreHiddenWhilePaginationTokensStay() {
    JsonObject in = new JsonObject()
        .put("KeyId", "alias/vault")
        .put("Plaintext", "c2VjcmV0")
        .put("NextToken", "page-2")
        .put("Hypervisors", new JsonArray().add(new JsonObject().put("Password", "p").put("Host", "vc")));
    JsonObject out = Redaction.redacted(in);
    assertEquals("alias/vault", out.getString("KeyId"));
    assertEquals(Redaction.HIDDEN, out.getString("Plaintext"));
    assertEquals("page-2", out.getString("NextToken"));
    assertEquals(Redaction.HIDDEN, out.getJsonArray("Hypervisors").getJsonObject(0).getString("Password"));
    assertEquals("vc", out.getJsonArray("Hypervisors").getJsonObject(0).getString("Host"));
    assertEquals("c2VjcmV0", in.getString("Plaintext"), "the front's input is not changed");
  }
}
