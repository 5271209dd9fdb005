/**
 * The database underneath the coordinator: the embedded PostgreSQL started when no server is
 * given, the connection pool, the versioned schema migrations applied at start, and working through a
 * query's rows in turn ({@link dev.vaultgate.coordinator.db.RowsInTurn}).
 */
package dev.vaultgate.coordinator.db;
