/**
 * What runs on the gateway and how it is seen: {@link dev.vaultgate.appliance.runtime.GatewayRuntime} is the
 * seam the gateway agent's job loop plugs into; {@link dev.vaultgate.appliance.runtime.JobBoard} tracks jobs and
 * their progress, {@link dev.vaultgate.appliance.runtime.HealthMonitor} the reachability of vCenter, the
 * coordinator and S3; both publish their changes on the Vert.x event bus, where the web UI listens.
 */
package dev.vaultgate.appliance.runtime;
