/**
 * The agent API: the JSON-over-HTTP protocol gateways speak to the coordinator under
 * {@code /agent/v1/} (register, heartbeat, report inventory, lease backup jobs, report
 * progress, complete, fail), the gateways it knows and their bearer tokens, and the
 * protected-resource inventory they report. {@link dev.vaultgate.coordinator.agent.AgentApi}
 * documents the wire format.
 */
package dev.vaultgate.coordinator.agent;
