/**
 * The coordinator process: its configuration, its start (database, migrations, admin key,
 * HTTP verticles) and stop, and the command line that runs it.
 */
package dev.vaultgate.coordinator;
