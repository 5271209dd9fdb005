/**
 * A recovery point's lifecycle applied to storage without the vault's keys, from the points' {@code refs/} lists:
 * extending the Object Lock retention of everything a point needs when its life is lengthened, and moving packs to
 * the vault's cold storage class. The coordinator runs these; it holds no vault key.
 */
package dev.vaultgate.vault.lifecycle;
