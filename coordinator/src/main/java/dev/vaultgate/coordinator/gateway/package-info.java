/**
 * The AWS Backup gateway API (service {@code backup-gateway}, JSON 1.0): gateways, their
 * activation, hypervisors with sealed credentials, the virtual machines gateways report, VMware
 * tag mappings, bandwidth schedules and maintenance times, and the PostgreSQL stores behind them; the
 * activation keys operators issue ({@code gateways activation-key}) and the bucket policy that keeps
 * gateways' S3 credentials write-only ({@code gateways vault-policy}).
 * The agent API ({@code agent/}) is how gateways read and answer what is kept here.
 */
package dev.vaultgate.coordinator.gateway;
