/**
 * Test support: one coordinator on embedded PostgreSQL for the whole run, the real AWS SDK
 * clients pointed at it, and raw requests signed by the SDK's own SigV4 signer.
 */
package dev.vaultgate.coordinator.testing;
