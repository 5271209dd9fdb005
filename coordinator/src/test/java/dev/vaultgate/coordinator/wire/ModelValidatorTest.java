package dev.vaultgate.coordinator.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation against the backup model's shapes, without HTTP. */
class ModelValidatorTest {

  static final ModelValidator V = new ModelValidator(ServiceModel.backup());

  static String error(Runnable r) {
    return assertThrows(ApiException.class, r::run).type();
  }

  @Test
  void requiredMembersAreMissingParameterValue() {
    assertEquals("MissingParameterValueException",
        error(() -> V.structure("StartBackupJobInput", new JsonObject().put("BackupVaultName", "vv"), "")));
  }

  @Test
  void patternsRangesAndEnumsAreInvalidParameterValue() {
    assertEquals("InvalidParameterValueException", error(() -> V.value("BackupVaultName", "x", "N")));
    assertEquals("InvalidParameterValueException", error(() -> V.value("MaxResults", 0L, "M")));
    assertEquals("InvalidParameterValueException", error(() -> V.value("BackupJobState", "NAPPING", "S")));
    assertEquals("InvalidParameterValueException", error(() -> V.value("WindowMinutes", 1.5, "W")));
    assertEquals("InvalidParameterValueException", error(() -> V.value("Tags", new JsonObject().put("k", 1), "T")));
  }

  @Test
  void textMembersAreTyped() {
    assertEquals(25L, V.fromText("MaxResults", List.of("25"), "m"));
    assertEquals(Boolean.TRUE, V.fromText("Boolean", List.of("true"), "b"));
    assertEquals(Instant.parse("2025-01-02T03:04:05Z"), V.fromText("timestamp", List.of("2025-01-02T03:04:05Z"), "t"));
    assertEquals("InvalidParameterValueException", error(() -> V.fromText("MaxResults", List.of("ten"), "m")));
  }

  @Test
  void epochSecondTimestampsBecomeInstants() {
    assertEquals(Instant.ofEpochSecond(1700000000, 500_000_000), V.value("timestamp", 1700000000.5, "t"));
  }

  @Test
  void validInputKeepsItsMembers() {
    JsonObject in = new JsonObject().put("BackupPlan", new JsonObject().put("BackupPlanName", "p")
        .put("Rules", new JsonArray().add(new JsonObject().put("RuleName", "r").put("TargetBackupVaultName", "vv")
            .put("StartWindowMinutes", 60))));
    JsonObject out = V.structure("CreateBackupPlanInput", in, "");
    assertEquals(60L, out.getJsonObject("BackupPlan").getJsonArray("Rules").getJsonObject(0).getValue("StartWindowMinutes"));
  }
}
