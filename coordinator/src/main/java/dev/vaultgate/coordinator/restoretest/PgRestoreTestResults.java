package dev.vaultgate.coordinator.restoretest;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Set;

/**
 * What a gateway reports about a restore test it ran (table {@code restore_jobs}, migrations V12 and V14): the
 * test is marked as this gateway's when it is leased, and only that gateway then reports its validation
 * (VALIDATING, then SUCCESSFUL or FAILED, with how long the restore took) and the deletion of what it restored
 * (SUCCESSFUL or FAILED). A FAILED validation or deletion notifies RESTORE_JOB_FAILED through V14's trigger.
 */
public final class PgRestoreTestResults {

  public static final Set<String> VALIDATION = Set.of("VALIDATING", "SUCCESSFUL", "FAILED");
  public static final Set<String> DELETION = Set.of("SUCCESSFUL", "FAILED");

  static final String CLAIM = "UPDATE restore_jobs SET restore_test_gateway_id = $3 WHERE account_id = $1"
      + " AND job_id = $2 AND restore_testing_plan_arn IS NOT NULL"
      + " RETURNING restore_testing_plan_arn, restore_testing_selection, validation_window_hours";
  static final String LOCK = "SELECT status, restore_testing_plan_arn, restore_test_gateway_id, validation_status,"
      + " deletion_status FROM restore_jobs WHERE account_id = $1 AND job_id = $2 FOR UPDATE";
  static final String PUT_VALIDATION = "UPDATE restore_jobs SET validation_status = $3, validation_status_message = $4,"
      + " restore_test_seconds = COALESCE($5, restore_test_seconds) WHERE account_id = $1 AND job_id = $2";
  static final String FIND = "SELECT job_id, status, restore_test_gateway_id, validation_status, deletion_status"
      + " FROM restore_jobs WHERE account_id = $1 AND job_id = ANY($2) AND restore_testing_plan_arn IS NOT NULL"
      + " ORDER BY job_id";
  static final String PUT_DELETION = "UPDATE restore_jobs SET deletion_status = $3, deletion_status_message = $4"
      + " WHERE account_id = $1 AND job_id = $2";

  private final Pool pool;

  public PgRestoreTestResults(Pool pool) {
    this.pool = pool;
  }

  /**
   * When the leased restore job is a restore test, records {@code gatewayId} as the one running it and answers
   * what the gateway needs to know ({@code restoreTestingPlanArn}, {@code restoreTestingSelectionName},
   * {@code validationWindowHours}); null for an ordinary restore.
   */
  public Future<JsonObject> leased(String accountId, String gatewayId, String jobId) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(accountId, jobId, gatewayId)).map(rows -> {
      if (rows.size() == 0) return null;
      Row r = rows.iterator().next();
      return new JsonObject().put("restoreTestingPlanArn", r.getString("restore_testing_plan_arn"))
          .put("restoreTestingSelectionName", r.getString("restore_testing_selection"))
          .put("validationWindowHours", r.getInteger("validation_window_hours"));
    });
  }

  /**
   * The gateway's validation of a restore test it ran: on a COMPLETED test (or a FAILED one, whose restore could
   * not finish: then only FAILED), until a result is in or the validation window closed.
   */
  public Future<Void> putValidation(String accountId, String gatewayId, String jobId, String status, String message,
      Double restoreSeconds) {
    if (!VALIDATION.contains(status)) {
      return Future.failedFuture(ApiException.invalidParameter("Field 'status' must be one of " + VALIDATION + ", got " + status));
    }
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(accountId, jobId)).compose(rows -> {
      Row r = heldBy(rows, gatewayId, jobId);
      String job = r.getString("status");
      if (!job.equals("COMPLETED") && !(job.equals("FAILED") && status.equals("FAILED"))) {
        throw ApiException.invalidRequest("Restore test " + jobId + " is " + job + ": it cannot be validated "
            + status + (job.equals("FAILED") ? " (a failed restore validates FAILED only)" : " before it completes"));
      }
      String before = r.getString("validation_status");
      if (before != null && !before.equals("VALIDATING")) {
        throw ApiException.invalidRequest("Restore test " + jobId + " has its validation already: " + before);
      }
      return conn.preparedQuery(PUT_VALIDATION).execute(Tuple.of(accountId, jobId, status, message, restoreSeconds));
    })).mapEmpty();
  }

  /**
   * Which of {@code jobIds} are restore tests of the account, and for each whether {@code gatewayId} ran it ({@code
   * mine}), its job status, validation and deletion status: a gateway asks before it deletes a scratch VM named
   * for a job. Jobs that do not exist or are not restore tests are left out.
   */
  public Future<JsonArray> find(String accountId, String gatewayId, List<String> jobIds) {
    return pool.preparedQuery(FIND).execute(Tuple.tuple().addString(accountId).addArrayOfString(jobIds.toArray(String[]::new))).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        String runBy = r.getString("restore_test_gateway_id");
        out.add(new JsonObject().put("jobId", r.getString("job_id")).put("status", r.getString("status"))
            .put("gatewayId", runBy).put("mine", gatewayId.equals(runBy))
            .put("validationStatus", r.getString("validation_status"))
            .put("deletionStatus", r.getString("deletion_status")));
      }
      return out;
    });
  }

  /**
   * The gateway deleted what the restore test created (SUCCESSFUL), or could not (FAILED, with the reason); a
   * FAILED clean-up may be followed by a SUCCESSFUL one.
   */
  public Future<Void> putDeletion(String accountId, String gatewayId, String jobId, String status, String message) {
    if (!DELETION.contains(status)) {
      return Future.failedFuture(ApiException.invalidParameter("Field 'status' must be one of " + DELETION + ", got " + status));
    }
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(accountId, jobId)).compose(rows -> {
      Row r = heldBy(rows, gatewayId, jobId);
      String job = r.getString("status");
      if (!job.equals("COMPLETED") && !job.equals("FAILED")) {
        throw ApiException.invalidRequest("Restore test " + jobId + " is " + job + ": its clean-up is reported once it ended");
      }
      String before = r.getString("deletion_status");
      // a clean-up that failed may succeed later (the gateway retries a scratch VM it left at its next start)
      boolean retried = "FAILED".equals(before) && status.equals("SUCCESSFUL");
      if (before != null && !before.equals("DELETING") && !retried) {
        throw ApiException.invalidRequest("Restore test " + jobId + " has its deletion reported already: " + before);
      }
      return conn.preparedQuery(PUT_DELETION).execute(Tuple.of(accountId, jobId, status, message));
    })).mapEmpty();
  }

  private static Row heldBy(io.vertx.sqlclient.RowSet<Row> rows, String gatewayId, String jobId) {
    if (rows.size() == 0) throw ApiException.notFound("Restore job " + jobId + " does not exist");
    Row r = rows.iterator().next();
    if (r.getString("restore_testing_plan_arn") == null) {
      throw ApiException.invalidRequest("Restore job " + jobId + " is not a restore test: it has no validation");
    }
    if (!gatewayId.equals(r.getString("restore_test_gateway_id"))) {
      throw ApiException.invalidRequest("Restore test " + jobId + " was run by "
          + (r.getString("restore_test_gateway_id") == null ? "no gateway" : "gateway " + r.getString("restore_test_gateway_id"))
          + ", not by gateway " + gatewayId + ": only that gateway reports its result");
    }
    return r;
  }
}
