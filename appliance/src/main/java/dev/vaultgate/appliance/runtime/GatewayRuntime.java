package dev.vaultgate.appliance.runtime;

import dev.vaultgate.appliance.config.ApplianceConfig;

import java.util.List;

/**
 * The running gateway as its parts see it. The appliance owns one; the gateway agent's job loop (VMware jobs leased
 * from the coordinator) plugs in by reporting each job through {@link #jobs()} ({@code jobs().start(...)}, then
 * progress and the outcome), adding its health checks (vCenter, coordinator) to {@link #health()}, and offering
 * the VMs it protects through {@link #addResources}. Everything it reports reaches the web UI over the event bus
 * ({@link JobBoard#EVENTS}, {@link HealthMonitor#EVENTS}).
 */
public interface GatewayRuntime {
  ApplianceConfig config();

  JobBoard jobs();

  HealthMonitor health();

  /** Every protected resource: the local volumes of the config, and what plug-ins added. */
  List<ProtectedResource> resources();

  /** Adds resources another part protects (e.g. the agent's VMs); a resource of the same kind and name is replaced. */
  void addResources(List<ProtectedResource> more);

  /** The upload schedule in force (the coordinator's, else the config's). */
  dev.vaultgate.agent.bandwidth.BandwidthSchedule bandwidthSchedule();

  /** Where {@link #bandwidthSchedule()} comes from, as the web UI says it. */
  String bandwidthScheduleSource();

  /** The appliance's version, as the web UI and /health show it. */
  String version();
}
