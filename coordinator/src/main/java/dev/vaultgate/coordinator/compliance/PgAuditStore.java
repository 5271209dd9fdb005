package dev.vaultgate.coordinator.compliance;

import dev.vaultgate.coordinator.compliance.AuditRecords.Framework;
import dev.vaultgate.coordinator.compliance.AuditRecords.ReportJob;
import dev.vaultgate.coordinator.compliance.AuditRecords.ReportPlan;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** Frameworks, report plans and report jobs in PostgreSQL (tables of migration V12). */
public final class PgAuditStore {

  static final String FRAMEWORK_COLUMNS = "account_id, name, arn, description, controls, idempotency_token, created_at";
  static final String INSERT_FRAMEWORK = "INSERT INTO audit_frameworks (" + FRAMEWORK_COLUMNS
      + ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, name) DO NOTHING RETURNING name";
  static final String FIND_FRAMEWORK = "SELECT " + FRAMEWORK_COLUMNS + " FROM audit_frameworks WHERE account_id = $1 AND name = $2";
  static final String FIND_FRAMEWORK_BY_ARN = "SELECT " + FRAMEWORK_COLUMNS + " FROM audit_frameworks WHERE account_id = $1 AND arn = $2";
  static final String LIST_FRAMEWORKS = "SELECT " + FRAMEWORK_COLUMNS + " FROM audit_frameworks WHERE account_id = $1"
      + " AND name > $2 ORDER BY name LIMIT $3";
  static final String UPDATE_FRAMEWORK = "UPDATE audit_frameworks SET description = coalesce($3, description),"
      + " controls = coalesce($4, controls) WHERE account_id = $1 AND name = $2 RETURNING " + FRAMEWORK_COLUMNS;
  static final String DELETE_FRAMEWORK = "DELETE FROM audit_frameworks WHERE account_id = $1 AND name = $2 RETURNING name";

  static final String PLAN_COLUMNS = "account_id, name, arn, description, delivery_channel, report_setting, created_at,"
      + " last_attempted_at, last_successful_at";
  static final String INSERT_PLAN = "INSERT INTO report_plans (" + PLAN_COLUMNS
      + ") VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL) ON CONFLICT (account_id, name) DO NOTHING RETURNING name";
  static final String PLANS_USING = "SELECT name FROM report_plans WHERE account_id = $1"
      + " AND report_setting->'FrameworkArns' ? $2 ORDER BY name";
  static final String FIND_PLAN = "SELECT " + PLAN_COLUMNS + " FROM report_plans WHERE account_id = $1 AND name = $2";
  static final String LIST_PLANS = "SELECT " + PLAN_COLUMNS + " FROM report_plans WHERE account_id = $1"
      + " AND name > $2 ORDER BY name LIMIT $3";
  static final String ALL_PLANS = "SELECT " + PLAN_COLUMNS + " FROM report_plans ORDER BY account_id, name";
  static final String UPDATE_PLAN = "UPDATE report_plans SET description = coalesce($3, description),"
      + " delivery_channel = coalesce($4, delivery_channel), report_setting = coalesce($5, report_setting)"
      + " WHERE account_id = $1 AND name = $2 RETURNING " + PLAN_COLUMNS;
  static final String DELETE_PLAN = "DELETE FROM report_plans WHERE account_id = $1 AND name = $2 RETURNING name";
  /** A plan's last attempt and success are the times its jobs started (never moving back). */
  static final String PLAN_ATTEMPTED = "UPDATE report_plans SET last_attempted_at = GREATEST(last_attempted_at, $3),"
      + " last_successful_at = CASE WHEN $4 THEN GREATEST(last_successful_at, $3) ELSE last_successful_at END"
      + " WHERE account_id = $1 AND name = $2";

  static final String JOB_COLUMNS = "report_job_id, account_id, report_plan_name, report_plan_arn, report_template, status,"
      + " status_message, destination, created_at, completed_at";
  static final String INSERT_JOB = "INSERT INTO report_jobs (" + JOB_COLUMNS + ", idempotency_token) VALUES ($1, $2, $3, $4,"
      + " $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (account_id, idempotency_token) WHERE idempotency_token IS NOT NULL"
      + " DO NOTHING RETURNING report_job_id";
  static final String FIND_JOB_BY_TOKEN = "SELECT " + JOB_COLUMNS + " FROM report_jobs WHERE account_id = $1 AND idempotency_token = $2";
  static final String FIND_JOB = "SELECT " + JOB_COLUMNS + " FROM report_jobs WHERE account_id = $1 AND report_job_id = $2";
  static final String FINISH_JOB = "UPDATE report_jobs SET status = $2, status_message = $3, destination = $4,"
      + " completed_at = $5 WHERE report_job_id = $1";
  static final String LIST_JOBS = "SELECT " + JOB_COLUMNS + " FROM report_jobs WHERE account_id = $1"
      + " AND ($2::text IS NULL OR report_plan_name = $2) AND ($3::text IS NULL OR status = $3)"
      + " AND ($4::timestamptz IS NULL OR created_at > $4) AND ($5::timestamptz IS NULL OR created_at < $5)"
      + " AND (created_at, report_job_id) < ($6, $7) ORDER BY created_at DESC, report_job_id DESC LIMIT $8";

  private final Pool pool;

  public PgAuditStore(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  /** Inserts the framework; false when one of that name exists. */
  public Future<Boolean> createFramework(Framework f) {
    return pool.preparedQuery(INSERT_FRAMEWORK).execute(Tuple.tuple().addValue(f.accountId()).addValue(f.name())
        .addValue(f.arn()).addValue(f.description()).addValue(f.controls()).addValue(f.idempotencyToken())
        .addValue(db(f.createdAt()))).map(rows -> rows.size() > 0);
  }

  public Future<Framework> framework(String accountId, String name) {
    return pool.preparedQuery(FIND_FRAMEWORK).execute(Tuple.of(accountId, name))
        .map(rows -> rows.size() == 0 ? null : framework(rows.iterator().next()));
  }

  public Future<Framework> frameworkByArn(String accountId, String arn) {
    return pool.preparedQuery(FIND_FRAMEWORK_BY_ARN).execute(Tuple.of(accountId, arn))
        .map(rows -> rows.size() == 0 ? null : framework(rows.iterator().next()));
  }

  /** Up to {@code limit + 1} frameworks after {@code afterName} (one more tells a next page exists). */
  public Future<List<Framework>> frameworks(String accountId, String afterName, int limit) {
    return pool.preparedQuery(LIST_FRAMEWORKS).execute(Tuple.of(accountId, afterName, limit + 1))
        .map(rows -> {
          List<Framework> out = new ArrayList<>();
          rows.forEach(r -> out.add(framework(r)));
          return out;
        });
  }

  public Future<Framework> updateFramework(String accountId, String name, String description, JsonArray controls) {
    return pool.preparedQuery(UPDATE_FRAMEWORK).execute(Tuple.of(accountId, name, description, controls))
        .map(rows -> rows.size() == 0 ? null : framework(rows.iterator().next()));
  }

  public Future<Boolean> deleteFramework(String accountId, String name) {
    return pool.preparedQuery(DELETE_FRAMEWORK).execute(Tuple.of(accountId, name)).map(rows -> rows.size() > 0);
  }

  public Future<Boolean> createPlan(ReportPlan p) {
    return pool.preparedQuery(INSERT_PLAN).execute(Tuple.tuple().addValue(p.accountId()).addValue(p.name())
        .addValue(p.arn()).addValue(p.description()).addValue(p.deliveryChannel()).addValue(p.setting())
        .addValue(db(p.createdAt()))).map(rows -> rows.size() > 0);
  }

  /** Names of the account's report plans that report on the framework. */
  public Future<List<String>> plansUsing(String accountId, String frameworkArn) {
    return pool.preparedQuery(PLANS_USING).execute(Tuple.of(accountId, frameworkArn)).map(rows -> {
      List<String> out = new ArrayList<>();
      rows.forEach(r -> out.add(r.getString(0)));
      return out;
    });
  }

  public Future<ReportPlan> plan(String accountId, String name) {
    return pool.preparedQuery(FIND_PLAN).execute(Tuple.of(accountId, name))
        .map(rows -> rows.size() == 0 ? null : plan(rows.iterator().next()));
  }

  public Future<List<ReportPlan>> plans(String accountId, String afterName, int limit) {
    return pool.preparedQuery(LIST_PLANS).execute(Tuple.of(accountId, afterName, limit + 1)).map(rows -> {
      List<ReportPlan> out = new ArrayList<>();
      rows.forEach(r -> out.add(plan(r)));
      return out;
    });
  }

  /** Every account's report plans: the scheduler's daily run. */
  public Future<List<ReportPlan>> allPlans() {
    return pool.query(ALL_PLANS).execute().map(rows -> {
      List<ReportPlan> out = new ArrayList<>();
      rows.forEach(r -> out.add(plan(r)));
      return out;
    });
  }

  public Future<ReportPlan> updatePlan(String accountId, String name, String description, JsonObject channel,
      JsonObject setting) {
    return pool.preparedQuery(UPDATE_PLAN).execute(Tuple.of(accountId, name, description, channel, setting))
        .map(rows -> rows.size() == 0 ? null : plan(rows.iterator().next()));
  }

  public Future<Boolean> deletePlan(String accountId, String name) {
    return pool.preparedQuery(DELETE_PLAN).execute(Tuple.of(accountId, name)).map(rows -> rows.size() > 0);
  }

  /** Inserts the job, or answers the one already made with its idempotency token. */
  public Future<ReportJob> createJob(ReportJob j, String idempotencyToken) {
    Tuple args = Tuple.tuple().addValue(j.reportJobId()).addValue(j.accountId()).addValue(j.planName())
        .addValue(j.planArn()).addValue(j.template()).addValue(j.status()).addValue(j.statusMessage())
        .addValue(j.destination()).addValue(db(j.createdAt())).addValue(db(j.completedAt())).addValue(idempotencyToken);
    return pool.preparedQuery(INSERT_JOB).execute(args).compose(rows -> rows.size() > 0
        ? Future.succeededFuture(j)
        : pool.preparedQuery(FIND_JOB_BY_TOKEN).execute(Tuple.of(j.accountId(), idempotencyToken))
            .map(found -> job(found.iterator().next())));
  }

  public Future<ReportJob> job(String accountId, String id) {
    return pool.preparedQuery(FIND_JOB).execute(Tuple.of(accountId, id))
        .map(rows -> rows.size() == 0 ? null : job(rows.iterator().next()));
  }

  /** Records the end of a job and the plan's last attempt (and success). */
  public Future<Void> finishJob(ReportJob j, String status, String message, JsonObject destination, Instant at) {
    return pool.withTransaction(conn -> conn.preparedQuery(FINISH_JOB)
        .execute(Tuple.of(j.reportJobId(), status, message, destination, db(at)))
        .compose(r -> conn.preparedQuery(PLAN_ATTEMPTED)
            .execute(Tuple.of(j.accountId(), j.planName(), db(j.createdAt()), "COMPLETED".equals(status))))
        .mapEmpty());
  }

  public Future<List<ReportJob>> jobs(String accountId, String planName, String status, Instant after, Instant before,
      Instant beforeTime, String beforeId, int limit) {
    return pool.preparedQuery(LIST_JOBS).execute(Tuple.tuple().addValue(accountId).addValue(planName).addValue(status)
        .addValue(db(after)).addValue(db(before)).addValue(db(beforeTime)).addValue(beforeId).addValue(limit + 1))
        .map(rows -> {
          List<ReportJob> out = new ArrayList<>();
          rows.forEach(r -> out.add(job(r)));
          return out;
        });
  }

  static OffsetDateTime db(Instant t) {
    return t == null ? null : t.atOffset(ZoneOffset.UTC);
  }

  static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  static Framework framework(Row r) {
    return new Framework(r.getString("account_id"), r.getString("name"), r.getString("arn"), r.getString("description"),
        (JsonArray) r.getValue("controls"), r.getString("idempotency_token"), instant(r.getOffsetDateTime("created_at")));
  }

  static ReportPlan plan(Row r) {
    return new ReportPlan(r.getString("account_id"), r.getString("name"), r.getString("arn"), r.getString("description"),
        (JsonObject) r.getValue("delivery_channel"), (JsonObject) r.getValue("report_setting"),
        instant(r.getOffsetDateTime("created_at")), instant(r.getOffsetDateTime("last_attempted_at")),
        instant(r.getOffsetDateTime("last_successful_at")));
  }

  static ReportJob job(Row r) {
    return new ReportJob(r.getString("report_job_id"), r.getString("account_id"), r.getString("report_plan_name"),
        r.getString("report_plan_arn"), r.getString("report_template"), r.getString("status"),
        r.getString("status_message"), (JsonObject) r.getValue("destination"),
        instant(r.getOffsetDateTime("created_at")), instant(r.getOffsetDateTime("completed_at")));
  }
}
