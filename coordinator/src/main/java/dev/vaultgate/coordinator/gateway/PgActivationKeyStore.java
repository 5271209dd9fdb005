package dev.vaultgate.coordinator.gateway;

import dev.vaultgate.coordinator.wire.ApiException;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Activation keys an operator issues (table {@code gateway_activation_keys}), the issue's way of joining: the
 * operator gets a key for an account, gives it to whoever installs the gateway, and the gateway joins with it and
 * its certificate request in one call. Only the key's SHA-256 is stored. A key makes one gateway and expires; the
 * join is one transaction (row lock on the key, the request signed, the gateway made, the key spent), so a
 * refused request spends nothing and two gateways racing with one key get one gateway.
 */
public final class PgActivationKeyStore {

  public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(30);
  public static final Duration MIN_LIFETIME = Duration.ofMinutes(1);
  public static final Duration MAX_LIFETIME = Duration.ofDays(7);
  /** Five groups of five of these, like the keys AWS's appliances show (no I or O: read aloud, typed by hand). */
  static final String ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  private static final Pattern KEY = Pattern.compile("[0-9A-HJ-NP-Z]{5}(-[0-9A-HJ-NP-Z]{5}){4}");
  private static final SecureRandom RANDOM = new SecureRandom();

  static final String INSERT_ACCOUNT = "INSERT INTO accounts (account_id) VALUES ($1) ON CONFLICT DO NOTHING";
  static final String INSERT = "INSERT INTO gateway_activation_keys (key_sha256, account_id, name, created_at, expires_at)"
      + " VALUES ($1, $2, $3, $4, $5)";
  static final String LOCK = "SELECT * FROM gateway_activation_keys WHERE key_sha256 = $1 FOR UPDATE";
  static final String SPEND = "UPDATE gateway_activation_keys SET used_at = $2, gateway_id = $3 WHERE key_sha256 = $1";

  /** A key as issued: shown to the operator once. */
  public record Issued(String activationKey, String accountId, String name, Instant expiresAt) {}

  /** The gateway a key made, with its certificate. */
  public record Joined(String gatewayId, String gatewayArn, String accountId, String certificatePem) {}

  private final Pool pool;

  public PgActivationKeyStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * A new key for {@code accountId}, valid for {@code lifetime} (1 minute to 7 days); {@code name}, when given,
   * is the only gateway name it joins.
   */
  public Future<Issued> issue(String accountId, String name, Duration lifetime, Instant now) {
    if (lifetime.compareTo(MIN_LIFETIME) < 0 || lifetime.compareTo(MAX_LIFETIME) > 0) {
      return Future.failedFuture(ApiException.of("InvalidParameterValueException", "An activation key lives 1 minute"
          + " to 7 days, not " + lifetime.toSeconds() + " seconds"));
    }
    String key = newKey();
    Instant expires = now.plus(lifetime);
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT_ACCOUNT).execute(Tuple.of(accountId))
            .compose(r -> conn.preparedQuery(INSERT).execute(Tuple.of(sha256(key), accountId, name,
                PgHypervisorStore.db(now), PgHypervisorStore.db(expires)))))
        .map(r -> new Issued(key, accountId, name, expires));
  }

  /**
   * Joins gateway {@code gatewayName} with {@code activationKey}: signs its request (PEM PKCS#10) with {@code signer}, makes the
   * gateway (known by the certificate's serial) and spends the key. UnknownActivationKey (404) for a key this
   * coordinator never issued, ActivationKeyUsed (409) for a spent one, ActivationExpired (410) past its lifetime,
   * InvalidParameterValueException (400) for a key issued for another name.
   */
  public Future<Joined> join(String activationKey, String gatewayName, String certificateRequestPem, String region,
      Instant now, PgActivationStore.CertificateSigner signer) {
    String key = normalize(activationKey);
    String shown = shown(key);
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(sha256(key))).compose(rows -> {
      if (rows.size() == 0) {
        throw ApiException.withStatus("UnknownActivationKey", 404, "Activation key " + shown + " is not known to this"
            + " coordinator: ask its operator for one (scripts/coordinator gateways activation-key)");
      }
      Row k = rows.iterator().next();
      if (k.getOffsetDateTime("used_at") != null) {
        throw ApiException.withStatus("ActivationKeyUsed", 409, "Activation key " + shown + " was used already, at "
            + k.getOffsetDateTime("used_at").toInstant() + ": a key joins one gateway; ask for a new one");
      }
      Instant expires = k.getOffsetDateTime("expires_at").toInstant();
      if (!expires.isAfter(now)) {
        throw ApiException.withStatus("ActivationExpired", 410, "Activation key " + shown + " expired at " + expires
            + ": ask for a new one");
      }
      String forName = k.getString("name");
      if (forName != null && !forName.equals(gatewayName)) {
        throw ApiException.of("InvalidParameterValueException", "Activation key " + shown + " was issued for gateway "
            + forName + ", not " + gatewayName);
      }
      String accountId = k.getString("account_id");
      String gatewayId = "sgw-" + HexFormat.of().withUpperCase().formatHex(random(4));
      String arn = GatewayArns.gateway(region, accountId, gatewayId);
      // nobody holds a token with this hash: the gateway is known by its certificate only
      String placeholder = sha256("certificate-only:" + HexFormat.of().formatHex(random(32)));
      return signer.sign(certificateRequestPem, gatewayName).compose(signed -> conn.preparedQuery(PgActivationStore.INSERT_GATEWAY)
              .execute(Tuple.of(gatewayId, accountId, arn, gatewayName, PgHypervisorStore.db(now), placeholder))
              .compose(r -> conn.preparedQuery(PgActivationStore.SET_CERTIFICATE)
                  .execute(Tuple.of(gatewayId, signed.serialHex(), PgHypervisorStore.db(now))))
              .compose(r -> conn.preparedQuery(SPEND).execute(Tuple.of(sha256(key), PgHypervisorStore.db(now), gatewayId)))
              .map(r -> new Joined(gatewayId, arn, accountId, signed.certificatePem())));
    }));
  }

  /** Upper case, no spaces: keys are typed by hand. */
  static String normalize(String key) {
    return key == null ? "" : key.trim().toUpperCase(Locale.ROOT);
  }

  /** True when {@code key} has the shape of an activation key (after {@link #normalize}). */
  public static boolean wellFormed(String key) {
    return KEY.matcher(normalize(key)).matches();
  }

  /** Enough of a key to tell which one, not enough to use it: the first group. */
  static String shown(String key) {
    return key.length() > 5 ? key.substring(0, 5) + "-..." : key;
  }

  /** A new random key: 25 characters of a 34-letter alphabet, about 127 bits. */
  public static String newKey() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 25; i++) {
      if (i > 0 && i % 5 == 0) sb.append('-');
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
