package dev.vaultgate.vault.format;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ObjectIdsTest {
  @Test
  void newIdsAre32LowercaseHexDigitsAndDistinct() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = ObjectIds.newId();
      assertTrue(id.matches("[0-9a-f]{32}"), id);
      assertTrue(ObjectKeys.isId(id), id);
      ids.add(id);
    }
    assertEquals(10_000, ids.size());
  }

  @Test
  void idsOfLaterMillisecondsSortAfterEarlierOnes() throws Exception {
    String earlier = ObjectIds.newId();
    Thread.sleep(3);
    String later = ObjectIds.newId();
    assertTrue(earlier.compareTo(later) < 0, earlier + " >= " + later);
    long millis = Long.parseLong(later.substring(0, 12), 16);
    assertTrue(Math.abs(System.currentTimeMillis() - millis) < 60_000, "time prefix " + millis);
  }

  @Test
  void idsRoundTripThroughTheirSixteenBytes() {
    String id = ObjectIds.newId();
    byte[] b = ObjectIds.toBytes(id);
    assertEquals(16, b.length);
    assertEquals(id, ObjectIds.fromBytes(b, 0));
    byte[] padded = new byte[20];
    System.arraycopy(b, 0, padded, 3, 16);
    assertEquals(id, ObjectIds.fromBytes(padded, 3));
  }
}
