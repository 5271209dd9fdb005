/**
 * Test helpers shared with the other modules through the vault test-jar: a decorator that injects storage
 * faults ({@link dev.vaultgate.vault.testing.FaultyVaultStorage}) and a per-JVM S3 server with fresh vaults on
 * it ({@link dev.vaultgate.vault.testing.TestVaults}).
 */
package dev.vaultgate.vault.testing;
