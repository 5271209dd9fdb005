/**
 * The AWS Backup operations (vaults, tags, plans, selections, backup jobs, vault lock): each
 * handler takes a validated request and returns a {@code Future} of its response, over
 * stores that keep the state in PostgreSQL, every row scoped by account. Stores answer
 * "absent" as a null result and fail with {@link dev.vaultgate.coordinator.wire.ApiException}
 * only where the database itself decides (a conflict seen inside a transaction).
 */
package dev.vaultgate.coordinator.backup;
