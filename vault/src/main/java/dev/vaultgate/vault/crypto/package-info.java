/**
 * The vault's keys and the only code that encrypts: AES-256-GCM chunk sealing, HMAC-SHA256 chunk ids,
 * and the wrapping of the vault's keys by a master key. JDK primitives only; no Vert.x.
 */
package dev.vaultgate.vault.crypto;
