package dev.vaultgate.coordinator.compliance;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** The stored Audit Manager resources: frameworks, report plans and report jobs. */
public final class AuditRecords {

  private AuditRecords() {}

  /** A framework; {@code controls} is the FrameworkControls list as AWS answers it. */
  public record Framework(String accountId, String name, String arn, String description, JsonArray controls,
      String idempotencyToken, Instant createdAt) {}

  public record ReportPlan(String accountId, String name, String arn, String description, JsonObject deliveryChannel,
      JsonObject setting, Instant createdAt, Instant lastAttemptedAt, Instant lastSuccessfulAt) {

    public String template() {
      return setting.getString("ReportTemplate");
    }
  }

  public record ReportJob(String reportJobId, String accountId, String planName, String planArn, String template,
      String status, String statusMessage, JsonObject destination, Instant createdAt, Instant completedAt) {}
}
