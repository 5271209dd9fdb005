/**
 * Reconciles what a locked vault's storage holds (S3 Object Lock retention of each recovery point's manifests)
 * with what the database says (the point's DeleteAfterDays), and records where they differ.
 */
package dev.vaultgate.coordinator.lockcheck;
