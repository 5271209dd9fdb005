package dev.vaultgate.agent.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Compares secrets without keeping them: the agent remembers a hypervisor password only as a fingerprint. */
final class AgentSecrets {
  private AgentSecrets() {
  }

  static String fingerprint(String secret) {
    if (secret == null) {
      return "-";
    }
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
