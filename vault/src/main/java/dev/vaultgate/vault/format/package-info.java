/**
 * What lies in the bucket, byte by byte: the vault config, chunk blobs, pack objects and their headers,
 * index segments and recovery point manifests, and the block fingerprint. Pure encoding; no I/O, no Vert.x.
 */
package dev.vaultgate.vault.format;
