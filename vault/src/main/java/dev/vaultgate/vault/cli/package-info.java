/** The {@code vaultgate} command line: init, backup, restore, points, check and gc over a vault URL. */
package dev.vaultgate.vault.cli;
