package dev.vaultgate.coordinator.compliance;

import dev.vaultgate.coordinator.compliance.AuditRecords.Framework;
import dev.vaultgate.coordinator.compliance.AuditRecords.ReportJob;
import dev.vaultgate.coordinator.compliance.AuditRecords.ReportPlan;
import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Runs report jobs: reads the report's rows (jobs of the last 24 hours, or the frameworks'
 * controls evaluated now), encodes them on a worker and puts them into the plan's bucket. A job
 * ends COMPLETED with its object keys, or FAILED with a one-line StatusMessage (a bucket that does
 * not exist, S3 unreachable). Daily runs are claimed per plan with a conditional update, so one
 * replica runs each.
 */
public final class ReportRunner {

  private static final Logger LOG = LoggerFactory.getLogger(ReportRunner.class);
  static final Duration PERIOD = Duration.ofDays(1);

  static final String BACKUP_JOBS = "SELECT job_id, state, status_message, resource_arn, resource_type, vault_name,"
      + " vault_arn, recovery_point_arn, created_at, completed_at, backup_size_bytes, created_by FROM backup_jobs"
      + " WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, job_id";
  static final String COPY_JOBS = "SELECT * FROM copy_jobs WHERE account_id = $1 AND created_at >= $2 AND created_at < $3"
      + " ORDER BY created_at, job_id";
  static final String RESTORE_JOBS = "SELECT job_id, status, status_message, recovery_point_arn, vault_arn,"
      + " source_resource_arn, resource_type, created_resource_arn, created_at, completed_at, backup_size_bytes"
      + " FROM restore_jobs WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, job_id";
  /** Claims a plan's daily run: only one replica's update finds it due. */
  static final String CLAIM_DAILY = "UPDATE report_plans SET last_attempted_at = $3 WHERE account_id = $1 AND name = $2"
      + " AND (last_attempted_at IS NULL OR last_attempted_at <= $4) RETURNING name";

  private final Vertx vertx;
  private final PgAuditStore store;
  private final ReportTarget target;
  private final String region;

  public ReportRunner(Vertx vertx, PgAuditStore store, ReportTarget target, String region) {
    this.vertx = vertx;
    this.store = store;
    this.target = target;
    this.region = region;
  }

  /** Refuses a plan whose bucket cannot receive reports: no endpoint configured, or no such bucket. */
  Future<Void> checkBucket(String bucket, String operation) {
    if (!target.configured()) {
      throw ApiException.invalidParameter(operation + ": this coordinator has no S3 endpoint for reports"
          + " (set VAULTGATE_REPORT_S3_ENDPOINT)");
    }
    return Future.fromCompletionStage(target.s3().headBucket(r -> r.bucket(bucket)), vertx.getOrCreateContext())
        .<Void>mapEmpty()
        .recover(e -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof NoSuchBucketException || cause instanceof S3Exception s && s.statusCode() == 404) {
            return Future.failedFuture(ApiException.invalidParameter(operation + ": S3 bucket " + bucket
                + " does not exist at " + target.endpoint()));
          }
          // anything else (the endpoint down) is not a verdict on the bucket: the report job will say it
          LOG.warn("{}: could not check S3 bucket {}: {}", operation, bucket, cause.toString());
          return Future.succeededFuture();
        });
  }

  /** Creates a RUNNING job (or answers the one its idempotency token made) and runs it in the background. */
  public Future<ReportJob> start(ReportPlan plan, Instant now, String idempotencyToken) {
    ReportJob job = new ReportJob(UUID.randomUUID().toString(), plan.accountId(), plan.name(), plan.arn(),
        plan.template(), "RUNNING", null, null, now, null);
    return store.createJob(job, idempotencyToken).onSuccess(made -> {
      if (made.reportJobId().equals(job.reportJobId())) run(plan, made);
    });
  }

  /** Starts the daily job of every plan whose last run is a day old; answers the jobs started. */
  public Future<List<ReportJob>> runDue(Instant now) {
    Instant at = now.truncatedTo(ChronoUnit.MICROS);
    return store.allPlans().compose(plans -> {
      List<Future<ReportJob>> started = new ArrayList<>();
      for (ReportPlan p : plans) {
        started.add(store.pool().preparedQuery(CLAIM_DAILY)
            .execute(Tuple.of(p.accountId(), p.name(), PgAuditStore.db(at), PgAuditStore.db(at.minus(PERIOD))))
            .compose(rows -> rows.size() == 0 ? Future.succeededFuture(null) : start(p, at, null)));
      }
      return Future.all(started).map(all -> {
        List<ReportJob> out = new ArrayList<>();
        for (Future<ReportJob> f : started) if (f.result() != null) out.add(f.result());
        return out;
      });
    });
  }

  /** Builds, delivers and records the job; the future ends when the job is recorded as ended. */
  Future<Void> run(ReportPlan plan, ReportJob job) {
    JsonObject channel = plan.deliveryChannel();
    String bucket = channel.getString("S3BucketName");
    Future<Void> done = rows(plan, job.createdAt())
        .compose(rows -> vertx.executeBlocking(() -> {
          Map<String, byte[]> files = new LinkedHashMap<>();
          for (Object f : channel.getJsonArray("Formats", new JsonArray().add("CSV"))) {
            String format = String.valueOf(f);
            String key = ReportFiles.key(channel.getString("S3KeyPrefix"), plan.accountId(), region, job.createdAt(),
                plan.template(), plan.name(), job.reportJobId(), format);
            files.put(key, "JSON".equals(format) ? ReportFiles.json(rows) : ReportFiles.csv(rows, List.of()));
          }
          return files;
        }, false))
        .compose(files -> put(bucket, files).map(v -> new JsonObject().put("S3BucketName", bucket)
            .put("S3Keys", new JsonArray(new ArrayList<>(files.keySet())))))
        .compose(destination -> store.finishJob(job, "COMPLETED", null, destination, Instant.now()))
        .recover(e -> {
          String message = failure(bucket, e);
          LOG.warn("report job {} of plan {} (account {}) failed: {}", job.reportJobId(), plan.name(), plan.accountId(),
              message);
          return store.finishJob(job, "FAILED", message, null, Instant.now());
        });
    return done.onFailure(e -> LOG.error("report job {}: could not record its end: {}", job.reportJobId(), e.toString()));
  }

  private Future<Void> put(String bucket, Map<String, byte[]> files) {
    if (!target.configured()) {
      return Future.failedFuture(new IllegalStateException("this coordinator has no S3 endpoint for reports"
          + " (VAULTGATE_REPORT_S3_ENDPOINT)"));
    }
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      String type = f.getKey().endsWith(".json") ? "application/json" : "text/csv";
      chain = chain.compose(v -> Future.fromCompletionStage(target.s3().putObject(r -> r.bucket(bucket).key(f.getKey())
          .contentType(type), AsyncRequestBody.fromBytes(f.getValue())), vertx.getOrCreateContext()).mapEmpty());
    }
    return chain;
  }

  private String failure(String bucket, Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof NoSuchBucketException || cause instanceof S3Exception s && s.statusCode() == 404) {
      return "Cannot deliver the report: S3 bucket " + bucket + " does not exist at " + target.endpoint();
    }
    if (cause instanceof S3Exception s) {
      return "Cannot deliver the report to S3 bucket " + bucket + ": " + s.awsErrorDetails().errorCode() + " (HTTP "
          + s.statusCode() + ")";
    }
    String m = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return "Cannot produce the report for bucket " + bucket + ": " + m.lines().findFirst().orElse(m);
  }

  /** The report's rows. */
  Future<List<Map<String, Object>>> rows(ReportPlan plan, Instant at) {
    Instant from = at.minus(PERIOD);
    Tuple window = Tuple.of(plan.accountId(), PgAuditStore.db(from), PgAuditStore.db(at));
    return switch (plan.template()) {
      case "BACKUP_JOB_REPORT" -> store.pool().preparedQuery(BACKUP_JOBS).execute(window).map(rs -> {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rs) {
          Map<String, Object> m = header(plan, from, at);
          m.put("Backup Job Id", r.getString("job_id"));
          m.put("Job Status", r.getString("state"));
          m.put("Status Message", r.getString("status_message"));
          m.put("Resource Type", r.getString("resource_type"));
          m.put("Resource Arn", r.getString("resource_arn"));
          JsonObject by = (JsonObject) r.getValue("created_by");
          m.put("Backup Plan Arn", by == null ? null : by.getString("BackupPlanArn"));
          m.put("Backup Vault Name", r.getString("vault_name"));
          m.put("Backup Vault Arn", r.getString("vault_arn"));
          m.put("Recovery Point Arn", r.getString("recovery_point_arn"));
          m.put("Job Creation Date", time(r, "created_at"));
          m.put("Job Completion Date", time(r, "completed_at"));
          m.put("Backup Size In Bytes", r.getLong("backup_size_bytes"));
          out.add(m);
        }
        return out;
      });
      case "COPY_JOB_REPORT" -> store.pool().preparedQuery(COPY_JOBS).execute(window).map(rs -> {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rs) {
          Map<String, Object> m = header(plan, from, at);
          m.put("Copy Job Id", r.getString("job_id"));
          m.put("Job Status", r.getString("state"));
          m.put("Status Message", r.getString("status_message"));
          m.put("Resource Arn", r.getString("resource_arn"));
          m.put("Source Backup Vault Arn", r.getString("source_vault_arn"));
          m.put("Source Recovery Point Arn", r.getString("source_recovery_point_arn"));
          m.put("Destination Backup Vault Arn", r.getString("destination_vault_arn"));
          m.put("Destination Recovery Point Arn", r.getString("destination_recovery_point_arn"));
          m.put("Job Creation Date", time(r, "created_at"));
          m.put("Job Completion Date", time(r, "completed_at"));
          out.add(m);
        }
        return out;
      });
      case "RESTORE_JOB_REPORT" -> store.pool().preparedQuery(RESTORE_JOBS).execute(window).map(rs -> {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rs) {
          Map<String, Object> m = header(plan, from, at);
          m.put("Restore Job Id", r.getString("job_id"));
          m.put("Job Status", r.getString("status"));
          m.put("Status Message", r.getString("status_message"));
          m.put("Resource Type", r.getString("resource_type"));
          m.put("Source Resource Arn", r.getString("source_resource_arn"));
          m.put("Recovery Point Arn", r.getString("recovery_point_arn"));
          m.put("Created Resource Arn", r.getString("created_resource_arn"));
          m.put("Job Creation Date", time(r, "created_at"));
          m.put("Job Completion Date", time(r, "completed_at"));
          m.put("Backup Size In Bytes", r.getLong("backup_size_bytes"));
          out.add(m);
        }
        return out;
      });
      default -> compliance(plan, at);
    };
  }

  /** RESOURCE_COMPLIANCE_REPORT: a row per framework, control and resource; CONTROL_COMPLIANCE_REPORT: per control. */
  private Future<List<Map<String, Object>>> compliance(ReportPlan plan, Instant at) {
    List<Future<Framework>> frameworks = new ArrayList<>();
    for (Object arn : plan.setting().getJsonArray("FrameworkArns", new JsonArray())) {
      frameworks.add(store.frameworkByArn(plan.accountId(), String.valueOf(arn)).map(f -> {
        if (f == null) throw new IllegalStateException("framework " + arn + " no longer exists");
        return f;
      }));
    }
    return Future.all(frameworks)
        .compose(all -> PgComplianceState.load(vertx, store.pool(), plan.accountId(), region, at))
        .compose(state -> vertx.executeBlocking(() -> {
          boolean perResource = "RESOURCE_COMPLIANCE_REPORT".equals(plan.template());
          List<Map<String, Object>> out = new ArrayList<>();
          for (Future<Framework> ff : frameworks) {
            Framework f = ff.result();
            for (Object o : f.controls()) {
              JsonObject control = (JsonObject) o;
              ControlResult result = Controls.evaluate(control.getString("ControlName"),
                  AuditManagerOperations.parameters(control), AuditManagerOperations.scope(control), state);
              if (perResource) {
                for (ControlResult.Evaluation e : result.evaluations()) {
                  Map<String, Object> m = header(plan, at, at);
                  m.put("Framework Name", f.name());
                  m.put("Framework Arn", f.arn());
                  m.put("Control Name", result.controlName());
                  m.put("Resource Arn", e.resourceArn());
                  m.put("Resource Type", e.resourceType());
                  m.put("Compliance Status", e.status());
                  m.put("Reason", e.reason());
                  out.add(m);
                }
              } else {
                Map<String, Object> m = header(plan, at, at);
                m.put("Framework Name", f.name());
                m.put("Framework Arn", f.arn());
                m.put("Control Name", result.controlName());
                m.put("Control Compliance Status", result.status());
                m.put("Evaluated Resources", result.evaluations().size());
                m.put("Non Compliant Resources", result.nonCompliant());
                out.add(m);
              }
            }
          }
          return out;
        }, false));
  }

  private Map<String, Object> header(ReportPlan plan, Instant from, Instant to) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Report Time Period Start", from.toString());
    m.put("Report Time Period End", to.toString());
    m.put("Account Id", plan.accountId());
    m.put("Region", region);
    return m;
  }

  private static String time(Row r, String column) {
    var t = r.getOffsetDateTime(column);
    return t == null ? null : t.toInstant().toString();
  }
}
