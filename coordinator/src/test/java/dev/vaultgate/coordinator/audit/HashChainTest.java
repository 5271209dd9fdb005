package dev.vaultgate.coordinator.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chain's pure parts: the text that is hashed, the links, and the verifier on a clean chain. */
class HashChainTest {

  static ActivityEvent awkward() {
    return ActivityEvents.serviceAction("Tricky", "111122223333", new JsonObject()
        .put("quote\"and\\slash", "line\nbreak \u00e9\u4e2d \uD83D\uDE00 </script>")
        .put("zeta", 1).put("alpha", new JsonArray().add(1.5).add(new JsonObject().put("b", 2).put("a", 1)))
        .put("nothing", (Object) null), Instant.parse("2026-11-23T12:00:00Z"), "eu-west-1");
  }

  @Test
  void theLinkedTextIsTheCanonicalJsonOfSeqPrevHashAndEvent() {
    ActivityEvent e = awkward();
    String prepared = HashChain.canonical(42, HashChain.GENESIS, HashChain.Prepared.of(e).canonicalEvent());
    assertEquals(HashChain.canonical(42, HashChain.GENESIS, e.record()), prepared);
    assertEquals(CanonicalJson.encode(new JsonObject(prepared)), prepared, "already canonical");
    assertTrue(prepared.indexOf("\"alpha\"") < prepared.indexOf("\"zeta\""), "keys sorted");
    assertTrue(!prepared.contains("nothing"), "nulls dropped");
  }

  @Test
  void eachLinkHashesItsTextAndNamesTheHashBeforeIt() {
    List<HashChain.Prepared> events = List.of(HashChain.Prepared.of(awkward()), HashChain.Prepared.of(awkward()));
    List<HashChain.Link> links = HashChain.append(7, "ab".repeat(32), events);
    assertEquals(8, links.get(0).seq());
    assertEquals("ab".repeat(32), links.get(0).prevHash());
    assertEquals(links.get(0).hash(), links.get(1).prevHash());
    assertEquals(CanonicalJson.sha256(links.get(1).canonical()), links.get(1).hash());
    assertNotEquals(links.get(0).hash(), links.get(1).hash(), "the same event at another position hashes apart");

    ChainVerifier verifier = new ChainVerifier(8, List.of(new ChainVerifier.DigestAnchor(9, links.get(1).hash(), "d")));
    for (HashChain.Link l : links) {
      verifier.check(new PgActivityLogStore.StoredRow(l.seq(), l.fields(), l.canonical(), l.hash(), l.prevHash()));
    }
    assertEquals(List.of(), verifier.finish());
  }

  @Test
  void oneFlippedCharacterIsAnEditAtItsSeq() {
    HashChain.Link l = HashChain.append(0, HashChain.GENESIS, List.of(HashChain.Prepared.of(awkward()))).get(0);
    ChainVerifier verifier = new ChainVerifier(1, List.of());
    verifier.check(new PgActivityLogStore.StoredRow(1, l.fields(), l.canonical().replace("\"zeta\":1", "\"zeta\":2"),
        l.hash(), l.prevHash()));
    List<ChainVerifier.Finding> findings = verifier.finish();
    assertEquals(1, findings.size(), findings.toString());
    assertEquals(ChainVerifier.Kind.EDITED, findings.get(0).kind());
    assertEquals(1, findings.get(0).seq());
  }
}
