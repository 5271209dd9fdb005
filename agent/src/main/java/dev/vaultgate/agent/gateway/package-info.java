/**
 * The gateway's side of the coordinator's agent API: registration, the heartbeat and job-lease loop,
 * the inventory it reports, and the runners that turn leased backup and restore jobs into VM backups
 * and restores against the vault.
 */
package dev.vaultgate.agent.gateway;
