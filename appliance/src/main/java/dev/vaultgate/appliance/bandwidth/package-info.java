/**
 * Upload rate limits: the config's bandwidth schedule (as PutBandwidthRateLimitSchedule defines it) evaluated at a
 * moment, and the storage decorator that paces the gateway's uploads to it.
 */
package dev.vaultgate.appliance.bandwidth;
