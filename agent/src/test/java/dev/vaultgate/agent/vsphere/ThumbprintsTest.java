package dev.vaultgate.agent.vsphere;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ThumbprintsTest {

  @Test
  void hexWithOrWithoutColonsInAnyCaseBecomesUpperCaseWithColons() {
    String plain = "ab".repeat(32);
    String colons = "AB:".repeat(31) + "AB";
    assertEquals(colons, Thumbprints.normalize(plain));
    assertEquals(colons, Thumbprints.normalize(" " + colons.toLowerCase() + " "));
  }

  @Test
  void aSha1ThumbprintIsRefusedWithWhatWasExpected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Thumbprints.normalize("AB:".repeat(19) + "AB"));
    assertTrue(e.getMessage().contains("must be a SHA-256 in hex (64 digits"), e.getMessage());
  }

  @Test
  void endpointNeedsAnHttpsSdkUrl() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VcenterEndpoint.of("http://vc.example/sdk", "u", "p", "ab".repeat(32)));
    assertEquals("vCenter URL must look like https://host/sdk, got http://vc.example/sdk", e.getMessage());
    assertTrue(!VcenterEndpoint.of("https://vc.example/sdk", "u", "secret", "ab".repeat(32)).toString().contains("secret"),
        "the password stays out of logs");
  }
}
