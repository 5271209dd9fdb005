/**
 * What lies in the bucket, byte by byte: the vault config, chunk blobs, pack objects and their headers,
 * index segments and the records of chunks the index forgot ({@link dev.vaultgate.vault.format.LossRecord}), recovery
 * point manifests, and the block fingerprint. Pure encoding; no I/O, no Vert.x.
 */
package dev.vaultgate.vault.format;
