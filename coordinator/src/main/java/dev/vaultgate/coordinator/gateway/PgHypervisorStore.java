package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Hypervisors, the metadata syncs asked of them and the configuration tests asked of gateways, in
 * PostgreSQL (tables {@code hypervisors}, {@code hypervisor_tests}); passwords sealed by a
 * {@link SecretSealer}. A hypervisor is reached through the gateway associated with it
 * ({@code gateways.hypervisor_id}).
 */
public final class PgHypervisorStore {

  static final String COLUMNS = "h.hypervisor_id, h.account_id, h.arn, h.name, h.host, h.username, h.password_sealed,"
      + " h.kms_key_arn, h.log_group_arn, h.state, h.state_message, h.sync_status, h.sync_message, h.last_synced_at,"
      + " h.tag_mappings, h.mappings_role_arn, h.created_at,"
      + " (SELECT max(g.last_seen_at) FROM gateways g WHERE g.hypervisor_id = h.hypervisor_id AND g.account_id = h.account_id) AS gateway_last_seen_at";
  static final String INSERT_ACCOUNT = "INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING";
  static final String INSERT =
      "INSERT INTO hypervisors (hypervisor_id, account_id, arn, name, host, username, password_sealed, kms_key_arn,"
          + " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
  static final String HOST_TAKEN = "SELECT arn FROM hypervisors WHERE account_id = $1 AND lower(host) = lower($2)"
      + " AND ($3::text IS NULL OR arn <> $3) LIMIT 1";
  static final String FIND = "SELECT " + COLUMNS + " FROM hypervisors h WHERE h.account_id = $1 AND h.arn = $2";
  static final String OF_GATEWAY = "SELECT " + COLUMNS + " FROM hypervisors h JOIN gateways g"
      + " ON g.hypervisor_id = h.hypervisor_id AND g.account_id = h.account_id WHERE g.gateway_id = $1";
  static final String LIST = "SELECT " + COLUMNS + " FROM hypervisors h WHERE h.account_id = $1"
      + " AND ($2::text IS NULL OR h.hypervisor_id > $2) ORDER BY h.hypervisor_id LIMIT $3";
  static final String UPDATE =
      "UPDATE hypervisors SET name = COALESCE($3, name), host = COALESCE($4, host),"
          + " username = COALESCE($5, username), password_sealed = COALESCE($6, password_sealed),"
          + " log_group_arn = COALESCE($7, log_group_arn) WHERE account_id = $1 AND arn = $2";
  static final String DELETE_TAGS = "DELETE FROM resource_tags WHERE account_id = $1 AND resource_arn = $2";
  static final String UNASSOCIATE = "UPDATE gateways SET hypervisor_id = NULL WHERE account_id = $1 AND hypervisor_id = $2";
  static final String DELETE = "DELETE FROM hypervisors WHERE account_id = $1 AND arn = $2";
  static final String REQUEST_SYNC = "UPDATE hypervisors SET sync_requested = true, sync_status = 'CREATED',"
      + " sync_message = NULL WHERE account_id = $1 AND arn = $2";
  static final String PUT_MAPPINGS =
      "UPDATE hypervisors SET tag_mappings = $3, mappings_role_arn = $4 WHERE account_id = $1 AND arn = $2";
  static final String TAKE_SYNCS = "UPDATE hypervisors h SET sync_requested = false, sync_status = 'RUNNING'"
      + " FROM gateways g WHERE g.gateway_id = $1 AND g.hypervisor_id = h.hypervisor_id AND h.sync_requested"
      + " RETURNING h.arn";
  static final String REPORT_STATE = "UPDATE hypervisors h SET state = $3, state_message = $4, state_reported_at = $5,"
      + " sync_status = CASE WHEN $3 = 'ERROR' THEN 'FAILED' ELSE h.sync_status END,"
      + " sync_message = CASE WHEN $3 = 'ERROR' THEN $4 ELSE h.sync_message END"
      + " FROM gateways g WHERE g.gateway_id = $1 AND g.hypervisor_id = h.hypervisor_id AND h.arn = $2 RETURNING h.arn";
  static final String INSERT_TEST = "INSERT INTO hypervisor_tests (test_id, account_id, gateway_id, host, username,"
      + " password_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
  static final String TAKE_TESTS = "UPDATE hypervisor_tests SET delivered_at = $2 WHERE gateway_id = $1"
      + " AND delivered_at IS NULL AND created_at > $3 RETURNING test_id, host, username, password_sealed";
  static final String ANSWER_TEST = "UPDATE hypervisor_tests SET answered_at = $3, ok = $4, message = $5"
      + " WHERE test_id = $1 AND gateway_id = $2 AND answered_at IS NULL RETURNING test_id";
  static final String FIND_TEST = "SELECT gateway_id, answered_at, ok, message FROM hypervisor_tests WHERE test_id = $1";
  static final String FORGET_TEST = "DELETE FROM hypervisor_tests WHERE test_id = $1";

  /** A hypervisor as its gateway needs it: with the password opened. */
  public record Credentials(String hypervisorArn, String name, String host, String username, String password) {}

  /** A configuration test handed to a gateway. */
  public record PendingTest(String testId, String host, String username, String password) {}

  /** A gateway's answer to a test; null {@code ok} while it has not answered. */
  public record TestResult(Boolean ok, String message) {}

  private final Pool pool;
  private final SecretSealer sealer;

  public PgHypervisorStore(Pool pool, SecretSealer sealer) {
    this.pool = pool;
    this.sealer = sealer;
  }

  public Future<Hypervisor> create(String hypervisorId, String accountId, String arn, String name, String host,
      String username, String password, String kmsKeyArn, Instant now) {
    byte[] sealed = password == null ? null : sealer.seal(password, arn);
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT_ACCOUNT).execute(Tuple.of(accountId))
        .compose(r -> conn.preparedQuery(INSERT).execute(Tuple.tuple().addValue(hypervisorId).addValue(accountId)
            .addValue(arn).addValue(name).addValue(host).addValue(username).addValue(buffer(sealed))
            .addValue(kmsKeyArn).addValue(db(now))))
        .compose(r -> find(conn, accountId, arn)));
  }

  /** The ARN of another of the account's hypervisors on this host (not {@code exceptArn}), or a null result. */
  public Future<String> hostTaken(String accountId, String host, String exceptArn) {
    return pool.preparedQuery(HOST_TAKEN).execute(Tuple.of(accountId, host, exceptArn))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  /** The account's hypervisor with this ARN, or a null result. */
  public Future<Hypervisor> find(String accountId, String arn) {
    return pool.withConnection(conn -> find(conn, accountId, arn));
  }

  private static Future<Hypervisor> find(SqlConnection conn, String accountId, String arn) {
    return conn.preparedQuery(FIND).execute(Tuple.of(accountId, arn)).map(PgHypervisorStore::first);
  }

  /** A page of the account's hypervisors by id, after {@code afterId} (null: from the start). */
  public Future<List<Hypervisor>> list(String accountId, String afterId, int limit) {
    return pool.preparedQuery(LIST).execute(Tuple.of(accountId, afterId, limit)).map(rows -> {
      List<Hypervisor> out = new ArrayList<>();
      for (Row row : rows) out.add(hypervisor(row));
      return out;
    });
  }

  /** Changes what is given (nulls keep the value); false when there is no such hypervisor. */
  public Future<Boolean> update(String accountId, String arn, String name, String host, String username,
      String password, String logGroupArn) {
    byte[] sealed = password == null ? null : sealer.seal(password, arn);
    return pool.preparedQuery(UPDATE).execute(Tuple.tuple().addValue(accountId).addValue(arn).addValue(name)
        .addValue(host).addValue(username).addValue(buffer(sealed)).addValue(logGroupArn))
        .map(r -> r.rowCount() == 1);
  }

  /** Deletes the hypervisor, its tags, and the associations of gateways with it; false when there is none. */
  public Future<Boolean> delete(String accountId, String arn) {
    return pool.withTransaction(conn -> find(conn, accountId, arn).compose(h -> {
      if (h == null) return Future.succeededFuture(false);
      return conn.preparedQuery(UNASSOCIATE).execute(Tuple.of(accountId, h.hypervisorId()))
          .compose(r -> conn.preparedQuery(DELETE_TAGS).execute(Tuple.of(accountId, arn)))
          .compose(r -> conn.preparedQuery(DELETE).execute(Tuple.of(accountId, arn)))
          .map(r -> r.rowCount() == 1);
    }));
  }

  /** Records a StartVirtualMachinesMetadataSync for the gateway's next heartbeat; false when no such hypervisor. */
  public Future<Boolean> requestSync(String accountId, String arn) {
    return pool.preparedQuery(REQUEST_SYNC).execute(Tuple.of(accountId, arn)).map(r -> r.rowCount() == 1);
  }

  public Future<Boolean> putMappings(String accountId, String arn, JsonArray mappings, String roleArn) {
    return pool.preparedQuery(PUT_MAPPINGS).execute(Tuple.of(accountId, arn, mappings, roleArn))
        .map(r -> r.rowCount() == 1);
  }

  // ---- what the agent API hands gateways and hears back

  /** The hypervisors associated with the gateway, passwords opened. */
  public Future<List<Credentials>> credentialsFor(String gatewayId) {
    return pool.preparedQuery(OF_GATEWAY).execute(Tuple.of(gatewayId)).map(rows -> {
      List<Credentials> out = new ArrayList<>();
      for (Row row : rows) {
        Hypervisor h = hypervisor(row);
        out.add(new Credentials(h.arn(), h.name(), h.host(), h.username(),
            h.passwordSealed() == null ? null : sealer.open(h.passwordSealed(), h.arn())));
      }
      return out;
    });
  }

  /** The metadata syncs asked of the gateway's hypervisors since its last heartbeat; handed over once. */
  public Future<List<String>> takeSyncRequests(String gatewayId) {
    return pool.preparedQuery(TAKE_SYNCS).execute(Tuple.of(gatewayId)).map(rows -> {
      List<String> out = new ArrayList<>();
      for (Row row : rows) out.add(row.getString(0));
      return out;
    });
  }

  /** The configuration tests waiting for the gateway (younger than {@code maxAge}); handed over once. */
  public Future<List<PendingTest>> takeTests(String gatewayId, Instant now, Duration maxAge) {
    return pool.preparedQuery(TAKE_TESTS).execute(Tuple.of(gatewayId, db(now), db(now.minus(maxAge)))).map(rows -> {
      List<PendingTest> out = new ArrayList<>();
      for (Row row : rows) {
        String testId = row.getString("test_id");
        Buffer sealed = row.getBuffer("password_sealed");
        out.add(new PendingTest(testId, row.getString("host"), row.getString("username"),
            sealed == null ? null : sealer.open(sealed.getBytes(), testId)));
      }
      return out;
    });
  }

  /**
   * Records the state the gateway sees its hypervisor in. ResourceNotFoundException when the
   * hypervisor is not associated with this gateway.
   */
  public Future<Void> reportState(String gatewayId, String hypervisorArn, String state, String message, Instant now) {
    return pool.preparedQuery(REPORT_STATE).execute(Tuple.of(gatewayId, hypervisorArn, state, message, db(now)))
        .map(rows -> {
          if (rows.rowCount() == 0) {
            throw ApiException.notFound("Hypervisor " + hypervisorArn + " is not associated with gateway " + gatewayId);
          }
          return null;
        });
  }

  /** Records a test for the gateway to run. */
  public Future<Void> createTest(String testId, String accountId, String gatewayId, String host, String username,
      String password, Instant now) {
    byte[] sealed = password == null ? null : sealer.seal(password, testId);
    return pool.preparedQuery(INSERT_TEST).execute(Tuple.tuple().addValue(testId).addValue(accountId)
        .addValue(gatewayId).addValue(host).addValue(username).addValue(buffer(sealed)).addValue(db(now)))
        .mapEmpty();
  }

  /**
   * Records the gateway's answer to one of its tests: ResourceNotFoundException when the test is
   * not this gateway's (or is gone), InvalidRequestException (409) when it was answered already.
   */
  public Future<Void> answerTest(String gatewayId, String testId, boolean ok, String message, Instant now) {
    return pool.preparedQuery(ANSWER_TEST).execute(Tuple.of(testId, gatewayId, db(now), ok, message))
        .compose(rows -> {
          if (rows.rowCount() == 1) return Future.succeededFuture();
          return pool.preparedQuery(FIND_TEST).execute(Tuple.of(testId)).map(found -> {
            if (found.size() == 0 || !gatewayId.equals(found.iterator().next().getString("gateway_id"))) {
              throw ApiException.notFound("Hypervisor test " + testId + " is not a test of gateway " + gatewayId);
            }
            throw ApiException.invalidRequest("Hypervisor test " + testId + " was answered already");
          });
        });
  }

  /** The gateway's answer so far. */
  public Future<TestResult> testResult(String testId) {
    return pool.preparedQuery(FIND_TEST).execute(Tuple.of(testId)).map(rows -> {
      if (rows.size() == 0) return new TestResult(null, null);
      Row row = rows.iterator().next();
      return new TestResult(row.getBoolean("ok"), row.getString("message"));
    });
  }

  public Future<Void> forgetTest(String testId) {
    return pool.preparedQuery(FORGET_TEST).execute(Tuple.of(testId)).mapEmpty();
  }

  static Hypervisor first(RowSet<Row> rows) {
    return rows.size() == 0 ? null : hypervisor(rows.iterator().next());
  }

  static Hypervisor hypervisor(Row row) {
    Buffer sealed = row.getBuffer("password_sealed");
    Object mappings = row.getValue("tag_mappings");
    return new Hypervisor(row.getString("hypervisor_id"), row.getString("account_id"), row.getString("arn"),
        row.getString("name"), row.getString("host"), row.getString("username"),
        sealed == null ? null : sealed.getBytes(), row.getString("kms_key_arn"), row.getString("log_group_arn"),
        row.getString("state"), row.getString("state_message"), row.getString("sync_status"),
        row.getString("sync_message"), instant(row.getOffsetDateTime("last_synced_at")),
        mappings instanceof JsonArray a ? a : new JsonArray(), row.getString("mappings_role_arn"),
        instant(row.getOffsetDateTime("created_at")), instant(row.getOffsetDateTime("gateway_last_seen_at")));
  }

  static Buffer buffer(byte[] bytes) {
    return bytes == null ? null : Buffer.buffer(bytes);
  }

  static OffsetDateTime db(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
  }

  static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
