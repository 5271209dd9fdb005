/**
 * Copies a recovery point from one vault to another (another bucket, region or account): reads the source's
 * chunks, re-encrypts them under the destination's keys, and writes only what the destination lacks as the
 * destination's own packs, index segments and manifest, under the destination's lock.
 */
package dev.vaultgate.vault.copy;
