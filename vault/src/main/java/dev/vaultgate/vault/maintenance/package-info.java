/**
 * Keeping a vault sound: {@code check} proves that every recovery point can be restored (and, in a locked vault, is
 * retained as long as it needs), {@code gc} removes what none needs and Object Lock no longer protects, and legal
 * holds put a point and all it needs on S3 legal hold.
 */
package dev.vaultgate.vault.maintenance;
