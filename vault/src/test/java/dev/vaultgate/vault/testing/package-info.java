/**
 * Test helpers shared with the other modules through the vault test-jar: decorators that inject storage
 * faults ({@link dev.vaultgate.vault.testing.FaultyVaultStorage}) and a ready S3 server for tests.
 */
package dev.vaultgate.vault.testing;
