/**
 * Who may call: access keys and the accounts they belong to, AWS Signature Version 4
 * verification (pure, no I/O), the admin key's credentials file, and their PostgreSQL store.
 */
package dev.vaultgate.coordinator.auth;
