/**
 * The gateway as installed: {@code vaultgate run} reads the config, starts the local web UI over HTTPS and the
 * jobs on local volumes, and hosts the gateway agent's job loop through {@link dev.vaultgate.appliance.runtime.GatewayRuntime}.
 */
package dev.vaultgate.appliance;
