/**
 * The agent API: the JSON-over-HTTP protocol gateways speak to the coordinator under
 * {@code /agent/v1/} (register or activate, heartbeat with what the backup-gateway API set for the
 * gateway, report inventory and hypervisor state, answer hypervisor tests, lease backup, copy and
 * restore jobs, report progress, complete, fail, start vCenter-triggered backups), the gateways it
 * knows and their bearer tokens, the protected-resource inventory they report, and where vault
 * data lives. {@link dev.vaultgate.coordinator.agent.AgentApi}
 * documents the wire format.
 */
package dev.vaultgate.coordinator.agent;
