package dev.vaultgate.coordinator.kms;

import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@code KeyId} parameter names (pure): a key by its id or ARN, or an alias by its name or ARN. An ARN carries
 * the account (and region) it belongs to; a bare id or alias name is the caller's account.
 *
 * @param keyId the key's id, or null for an alias
 * @param aliasName {@code alias/...}, or null for a key
 * @param accountId the ARN's account, or null when none was given
 * @param region the ARN's region, or null when none was given
 */
public record KmsKeyRef(UUID keyId, String aliasName, String accountId, String region) {

  private static final Pattern KEY_ID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern ARN = Pattern.compile("arn:aws:kms:([a-z0-9-]+):(\\d{12}):(key/(.+)|(alias/.+))");

  /** The reference, or null when the text is no key id, key ARN, alias name or alias ARN. */
  public static KmsKeyRef parse(String text) {
    if (text == null) return null;
    if (KEY_ID.matcher(text).matches()) return new KmsKeyRef(UUID.fromString(text.toLowerCase(Locale.ROOT)), null, null, null);
    if (text.startsWith("alias/") && text.length() > "alias/".length()) return new KmsKeyRef(null, text, null, null);
    Matcher m = ARN.matcher(text);
    if (!m.matches()) return null;
    if (m.group(4) != null) {
      if (!KEY_ID.matcher(m.group(4)).matches()) return null;
      return new KmsKeyRef(UUID.fromString(m.group(4).toLowerCase(Locale.ROOT)), null, m.group(2), m.group(1));
    }
    return new KmsKeyRef(null, m.group(5), m.group(2), m.group(1));
  }

  public boolean isAlias() {
    return aliasName != null;
  }

  public static String keyArn(String region, String accountId, UUID keyId) {
    return "arn:aws:kms:" + region + ":" + accountId + ":key/" + keyId;
  }

  public static String aliasArn(String region, String accountId, String aliasName) {
    return "arn:aws:kms:" + region + ":" + accountId + ":" + aliasName;
  }
}
