package dev.vaultgate.appliance.config;

/** A config file that cannot be used; the message is one line naming the key, the value and what was expected. */
public final class ConfigException extends RuntimeException {
  private final String key;

  public ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The dotted key at fault, e.g. {@code webUi.port}, or "" for the file as a whole. */
  public String key() {
    return key;
  }
}
