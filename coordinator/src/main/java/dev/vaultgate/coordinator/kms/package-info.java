/**
 * The AWS KMS API subset the coordinator serves ({@code TrentService}, JSON 1.1, SigV4 service {@code kms}):
 * symmetric keys per account with versioned key material sealed under the coordinator's master key in PostgreSQL,
 * aliases, Encrypt/Decrypt/GenerateDataKey with the ciphertext format of {@link
 * dev.vaultgate.coordinator.kms.KmsCiphertext}, key states and rotation.
 */
package dev.vaultgate.coordinator.kms;
