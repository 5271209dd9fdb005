package dev.vaultgate.vault.storage;

/** The operations of {@link VaultStorage}, worded for error messages ("cannot read KEY from VAULT: ..."). */
enum StorageOp {
  WRITE("write", "to"),
  READ("read", "from"),
  STAT("stat", "in"),
  LIST("list", "in"),
  DELETE("delete", "from"),
  RETAIN("set the retention of", "in"),
  HOLD("set the legal hold of", "in"),
  LOCK_STATE("read the Object Lock state of", "in"),
  LOCK_CONFIG("read the Object Lock configuration of", "at"),
  STORAGE_CLASS("change the storage class of", "in"),
  RESTORE("restore from archive", "in");

  private final String verb;
  private final String preposition;

  StorageOp(String verb, String preposition) {
    this.verb = verb;
    this.preposition = preposition;
  }

  /** "cannot read packs/3f/3f9c... from s3://bucket/prefix: {@code detail}". */
  String message(String what, String vault, String detail) {
    return "cannot " + verb + " " + what + " " + preposition + " " + vault + ": " + detail;
  }

  /** Why a ranged read past the end fails; {@code size} is -1 when the backend did not say. */
  static String rangePastEnd(long offset, int length, long size) {
    return "bytes " + offset + "-" + (offset + length - 1) + " lie past the end of the object"
        + (size >= 0 ? " (" + size + " bytes)" : "");
  }

  /** A put from a file that holds fewer bytes than it was to store: the caller's mistake, not worth another try. */
  static VaultStorageException shortFile(String key, String vault, java.nio.file.Path file, long size, long length) {
    return new VaultStorageException(WRITE.message(key, vault, "file " + file + " holds " + size + " bytes, fewer than the "
        + length + " to store"), false);
  }

  /** How a list call names what it was after. */
  static String listTarget(String prefix) {
    return prefix.isEmpty() ? "objects" : "objects under '" + prefix + "'";
  }
}
