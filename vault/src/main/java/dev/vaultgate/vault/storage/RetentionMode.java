package dev.vaultgate.vault.storage;

/**
 * S3 Object Lock retention modes. Under COMPLIANCE nobody, not even the bucket's owner, can delete the object
 * version or shorten its retention before it ends; under GOVERNANCE a caller allowed to bypass governance
 * retention can, when it asks to ({@code x-amz-bypass-governance-retention}).
 */
public enum RetentionMode {
  GOVERNANCE,
  COMPLIANCE;

  /** Parses "governance" or "COMPLIANCE"; a bad value fails naming it and what is expected. */
  public static RetentionMode parse(String text) {
    for (RetentionMode mode : values()) {
      if (mode.name().equalsIgnoreCase(text)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("unknown retention mode '" + text + "': expected GOVERNANCE or COMPLIANCE");
  }
}
