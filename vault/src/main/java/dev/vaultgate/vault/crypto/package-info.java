/**
 * The vault's keys and the only code that encrypts: AES-256-GCM chunk sealing, HMAC-SHA256 chunk ids,
 * and the wrapping of the vault's keys by a master key: a local key file ({@code LocalKeyWrapper}, JDK primitives)
 * or a KMS key through the AWS SDK's {@code kms} client ({@code KmsKeyWrapper}); the data-key generations of a
 * rotated vault and the envelope naming them ({@code VaultKeys}). No Vert.x.
 */
package dev.vaultgate.vault.crypto;
