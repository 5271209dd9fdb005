package dev.vaultgate.vault.storage;

/** One stored object: its key relative to the vault root and its size in bytes. */
public record ObjectInfo(String key, long size) {
}
