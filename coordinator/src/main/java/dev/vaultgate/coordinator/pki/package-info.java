/**
 * The coordinator's gateway CA: it signs the certificate requests of gateways that claim an activation key,
 * keeps which serials it revoked, and publishes the CRL and trust the mutual-TLS gateway listener loads.
 * Pure Java (BouncyCastle), no Vert.x: the activation claim calls it on a worker and stores what it returns.
 */
package dev.vaultgate.coordinator.pki;
