package dev.vaultgate.vault.repo;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a KMS rotation calls for a new data-key generation (the gateway's automatic rotation, issue 7). */
class KeyGenerationTest {
  private static final String ARN = "arn:aws:kms:us-east-1:000000000000:key/k";

  @Test
  void aKeyThatNeverRotatedNeedsNoGeneration() {
    assertFalse(new KeyGeneration(null, 1_700_000_000_000L, "kms", ARN).predatesKmsRotation(null));
  }

  @Test
  void theConfigsGenerationPredatesARotationAfterItOrInTheSameSecond() {
    KeyGeneration original = new KeyGeneration(null, 1_700_000_000_500L, "kms", ARN);
    assertTrue(original.predatesKmsRotation(Instant.ofEpochSecond(1_700_000_001L)));
    // KMS dates are whole seconds: a rotation in the vault's second may have come after it, so it counts
    assertTrue(original.predatesKmsRotation(Instant.ofEpochSecond(1_700_000_000L)));
    assertFalse(original.predatesKmsRotation(Instant.ofEpochSecond(1_699_999_999L)));
  }

  @Test
  void aGenerationThatFollowedARotationComparesWithThatRotationNotItsClock() {
    // made on a gateway whose clock is an hour behind the KMS's, after the rotation at 1_700_000_000
    KeyGeneration followed = new KeyGeneration("01a20a2d0cd499edafabfccd8f260889", 1_699_996_400_000L, "kms", ARN,
        1_700_000_000_000L);
    assertFalse(followed.predatesKmsRotation(Instant.ofEpochSecond(1_700_000_000L)), "the same rotation: no new generation");
    assertTrue(followed.predatesKmsRotation(Instant.ofEpochSecond(1_700_000_001L)), "a later one: a new generation");
  }

  @Test
  void labelsAndObjectsNameTheGeneration() {
    assertEquals("config", new KeyGeneration(null, 0, "local", "k").objectKey());
    assertEquals("0 (config)", new KeyGeneration(null, 0, "local", "k").label());
    assertEquals("keys/01a20a2d0cd499edafabfccd8f260889",
        new KeyGeneration("01a20a2d0cd499edafabfccd8f260889", 0, "local", "k").objectKey());
  }
}
