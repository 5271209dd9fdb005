/**
 * Test helpers shared with the other modules through the vault test-jar: a decorator that injects storage
 * faults ({@link dev.vaultgate.vault.testing.FaultyVaultStorage}), one that records writes in order
 * ({@link dev.vaultgate.vault.testing.RecordingVaultStorage}), a per-JVM S3 server with fresh vaults on it
 * ({@link dev.vaultgate.vault.testing.TestVaults}), and a per-JVM Ceph RGW with real Object Lock
 * ({@link dev.vaultgate.vault.testing.TestRgw}, for classes marked {@link dev.vaultgate.vault.testing.RequiresRgw}), and a
 * vault on any of these with its master key and blocking helpers ({@link dev.vaultgate.vault.testing.EngineFixture}).
 */
package dev.vaultgate.vault.testing;
