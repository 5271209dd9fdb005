/**
 * The AWS Backup gateway API (service {@code backup-gateway}, JSON 1.0): gateways, their
 * activation, hypervisors with sealed credentials, the virtual machines gateways report, VMware
 * tag mappings, bandwidth schedules and maintenance times, and the PostgreSQL stores behind them.
 * The agent API ({@code agent/}) is how gateways read and answer what is kept here.
 */
package dev.vaultgate.coordinator.gateway;
