package dev.vaultgate.vault.format;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ObjectKeysTest {
  private static final String ID = "3f9c0123456789abcdef0123456789ab";

  @Test
  void packsAreSpreadByTheirFirstTwoHexDigits() {
    assertEquals("packs/3f/" + ID, ObjectKeys.pack(ID));
    assertEquals("index/" + ID, ObjectKeys.index(ID));
    assertEquals("points/" + ID, ObjectKeys.point(ID));
  }

  @Test
  void idOfGivesTheIdAtTheEndOfOurKeys() {
    assertEquals(ID, ObjectKeys.idOf(ObjectKeys.pack(ID)));
    assertEquals(ID, ObjectKeys.idOf(ObjectKeys.index(ID)));
    assertEquals(ID, ObjectKeys.idOf(ObjectKeys.point(ID)));
    assertEquals(ID, ObjectKeys.idOf(ID));
  }

  @Test
  void idOfIsNullForNamesThatAreNotOurs() {
    assertNull(ObjectKeys.idOf(ObjectKeys.CONFIG));
    assertNull(ObjectKeys.idOf("packs/3f/"));
    assertNull(ObjectKeys.idOf("packs/3f/" + ID + ".tmp"));
    assertNull(ObjectKeys.idOf("points/" + ID.toUpperCase()));
    assertNull(ObjectKeys.idOf("index/" + ID.substring(1)));
  }

  @Test
  void isIdAcceptsOnly32LowercaseHexDigits() {
    assertTrue(ObjectKeys.isId(ID));
    assertFalse(ObjectKeys.isId(null));
    assertFalse(ObjectKeys.isId(""));
    assertFalse(ObjectKeys.isId(ID + "0"));
    assertFalse(ObjectKeys.isId(ID.replace('f', 'g')));
    assertFalse(ObjectKeys.isId(ID.toUpperCase()));
  }
}
