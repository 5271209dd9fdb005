/**
 * The database underneath the coordinator: the embedded PostgreSQL started when no server is
 * given, the connection pool, and the versioned schema migrations applied at start.
 */
package dev.vaultgate.coordinator.db;
