/**
 * Upload rate limits: the one bandwidth schedule of a gateway (the coordinator's PutBandwidthRateLimitSchedule, or
 * the appliance config's when the coordinator has none) evaluated at a moment, and the storage decorator that paces
 * a gateway's uploads to it.
 */
package dev.vaultgate.agent.bandwidth;
