/**
 * The rules of AWS Backup as plain Java, without Vert.x or the wire: schedule expressions
 * (cron() and rate()) evaluated in a time zone, backup-rule windows, lifecycle (the 90-day
 * cold-storage rule) and vault lock. Each violation is a {@link dev.vaultgate.coordinator.rules.RuleViolation}.
 */
package dev.vaultgate.coordinator.rules;
