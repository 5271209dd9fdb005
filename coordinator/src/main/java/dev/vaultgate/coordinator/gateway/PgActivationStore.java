package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;

/**
 * Gateway activations (table {@code gateway_activations}): an appliance asks for a key without
 * credentials; an administrator calls CreateGateway with it, which makes the gateway; the
 * appliance, polling with the token only it holds, then claims the gateway's bearer token. A key
 * makes one gateway and a gateway is claimed once; keys expire after {@link #LIFETIME}.
 */
public final class PgActivationStore {

  public static final Duration LIFETIME = Duration.ofMinutes(30);

  static final String INSERT = "INSERT INTO gateway_activations (activation_key, poll_token_sha256, name, created_at,"
      + " expires_at, certificate_request) VALUES ($1, $2, $3, $4, $5, $6)";
  static final String LOCK_KEY = "SELECT * FROM gateway_activations WHERE activation_key = $1 FOR UPDATE";
  static final String INSERT_ACCOUNT = "INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING";
  static final String INSERT_GATEWAY = "INSERT INTO gateways (gateway_id, account_id, arn, name, software_version,"
      + " registered_at, last_seen_at, token_sha256) VALUES ($1, $2, $3, $4, NULL, $5, $5, $6)";
  static final String USE = "UPDATE gateway_activations SET used_at = $2, gateway_id = $3 WHERE activation_key = $1";
  static final String LOCK_POLL = "SELECT * FROM gateway_activations WHERE poll_token_sha256 = $1 FOR UPDATE";
  /**
   * Read after the lock, as a statement of its own: a join in the locking statement would, when it waited
   * for CreateGateway's transaction, see the activation's new gateway_id but not the gateway row (PostgreSQL
   * re-checks only the locked row), and answer a gateway without its ARN.
   */
  static final String GATEWAY = "SELECT account_id, arn FROM gateways WHERE gateway_id = $1";
  static final String CLAIM = "UPDATE gateway_activations SET claimed_at = $2 WHERE activation_key = $1";
  static final String SET_TOKEN = "UPDATE gateways SET token_sha256 = $2, last_seen_at = $3 WHERE gateway_id = $1";
  static final String SET_CERTIFICATE =
      "UPDATE gateways SET certificate_serial = $2, last_seen_at = $3 WHERE gateway_id = $1";

  /**
   * What a claim found: still waiting (gateway null), or the gateway made from the key, with the certificate
   * signed for it when the activation carried a request (else null: the gateway uses a bearer token).
   */
  public record Claim(String gatewayId, String gatewayArn, String accountId, String certificatePem) {
    public boolean waiting() {
      return gatewayId == null;
    }
  }

  /** Signs an activation's certificate request for the gateway it made: its serial (hex) and certificate (PEM). */
  @FunctionalInterface
  public interface CertificateSigner {
    Future<Signed> sign(String certificateRequestPem, String gatewayName);
  }

  public record Signed(String serialHex, String certificatePem) {}

  private final Pool pool;

  public PgActivationStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Void> create(String activationKey, String pollTokenSha256, String name, Instant now) {
    return create(activationKey, pollTokenSha256, name, null, now);
  }

  /** An activation whose gateway will be known by the certificate signed from {@code certificateRequestPem}. */
  public Future<Void> create(String activationKey, String pollTokenSha256, String name, String certificateRequestPem,
      Instant now) {
    return pool.preparedQuery(INSERT).execute(Tuple.of(activationKey, pollTokenSha256, name,
        PgHypervisorStore.db(now), PgHypervisorStore.db(now.plus(LIFETIME)), certificateRequestPem)).mapEmpty();
  }

  /**
   * CreateGateway: makes the gateway from an unused, unexpired key, in one transaction with the
   * key's use. Its token is a placeholder (the SHA-256 of nothing anyone holds) until the appliance
   * claims it. ValidationException for an unknown, used or expired key.
   */
  public Future<Void> use(String activationKey, String accountId, String gatewayId, String gatewayArn,
      String displayName, String placeholderTokenSha256, Instant now) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK_KEY).execute(Tuple.of(activationKey)).compose(rows -> {
      if (rows.size() == 0) {
        throw ApiException.of("ValidationException", "Activation key " + activationKey + " is not valid:"
            + " get one from the gateway appliance");
      }
      Row a = rows.iterator().next();
      if (a.getOffsetDateTime("used_at") != null) {
        throw ApiException.of("ValidationException", "Activation key " + activationKey + " was used already:"
            + " get a new one from the gateway appliance");
      }
      if (!a.getOffsetDateTime("expires_at").toInstant().isAfter(now)) {
        throw ApiException.of("ValidationException", "Activation key " + activationKey + " expired at "
            + a.getOffsetDateTime("expires_at").toInstant() + ": get a new one from the gateway appliance");
      }
      return conn.preparedQuery(INSERT_ACCOUNT).execute(Tuple.of(accountId))
          .compose(r -> conn.preparedQuery(INSERT_GATEWAY).execute(Tuple.of(gatewayId, accountId, gatewayArn,
              displayName, PgHypervisorStore.db(now), placeholderTokenSha256)))
          .compose(r -> conn.preparedQuery(USE).execute(Tuple.of(activationKey, PgHypervisorStore.db(now), gatewayId)))
          .mapEmpty();
    }));
  }

  /**
   * The appliance's poll: waiting while nobody used the key; once CreateGateway made the gateway,
   * sets its token (the SHA-256 given) and answers the gateway, once. UnknownActivation (404) for a
   * token no activation has, AlreadyClaimed (409) after the claim, ActivationExpired (410) for an
   * unused key past its lifetime.
   */
  public Future<Claim> claim(String pollTokenSha256, String tokenSha256, Instant now) {
    return claim(pollTokenSha256, tokenSha256, now, null);
  }

  /**
   * As above; an activation with a certificate request has it signed by {@code signer} in the claim's
   * transaction (a refused request spends nothing) and its gateway known by the serial, not by a token.
   */
  public Future<Claim> claim(String pollTokenSha256, String tokenSha256, Instant now, CertificateSigner signer) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK_POLL).execute(Tuple.of(pollTokenSha256)).compose(rows -> {
      if (rows.size() == 0) {
        throw ApiException.withStatus("UnknownActivation", 404, "No activation has this poll token: ask for a new"
            + " activation key");
      }
      Row a = rows.iterator().next();
      String key = a.getString("activation_key");
      if (a.getOffsetDateTime("claimed_at") != null) {
        throw ApiException.withStatus("AlreadyClaimed", 409, "The gateway of activation key " + key
            + " was claimed already");
      }
      String gatewayId = a.getString("gateway_id");
      if (gatewayId == null) {
        if (!a.getOffsetDateTime("expires_at").toInstant().isAfter(now)) {
          throw ApiException.withStatus("ActivationExpired", 410, "Activation key " + key + " expired unused at "
              + a.getOffsetDateTime("expires_at").toInstant() + ": ask for a new one");
        }
        return Future.succeededFuture(new Claim(null, null, null, null));
      }
      return conn.preparedQuery(GATEWAY).execute(Tuple.of(gatewayId)).compose(found -> {
        if (found.size() == 0) {
          throw ApiException.withStatus("UnknownActivation", 404, "The gateway of activation key " + key
              + " was deleted: ask for a new activation key");
        }
        Row g = found.iterator().next();
        String request = a.getString("certificate_request");
        if (request != null) {
          if (signer == null) {
            throw ApiException.withStatus("CertificateAuthorityUnavailable", 503, "Activation key " + key
                + " carries a certificate request, but this coordinator has no gateway CA");
          }
          return signer.sign(request, a.getString("name"))
              .compose(signed -> conn.preparedQuery(SET_CERTIFICATE)
                  .execute(Tuple.of(gatewayId, signed.serialHex(), PgHypervisorStore.db(now)))
                  .compose(r -> conn.preparedQuery(CLAIM).execute(Tuple.of(key, PgHypervisorStore.db(now))))
                  .map(r -> new Claim(gatewayId, g.getString("arn"), g.getString("account_id"), signed.certificatePem())));
        }
        return conn.preparedQuery(SET_TOKEN).execute(Tuple.of(gatewayId, tokenSha256, PgHypervisorStore.db(now)))
            .compose(r -> conn.preparedQuery(CLAIM).execute(Tuple.of(key, PgHypervisorStore.db(now))))
            .map(r -> new Claim(gatewayId, g.getString("arn"), g.getString("account_id"), null));
      });
    }));
  }
}
