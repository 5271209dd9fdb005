/** Keeping a vault sound: {@code check} proves that every recovery point can be restored, {@code gc} removes what none needs. */
package dev.vaultgate.vault.maintenance;
