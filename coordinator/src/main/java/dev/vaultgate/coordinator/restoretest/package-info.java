/**
 * Restore testing: plans and selections (the API), the rules that pick resources and recovery
 * points (pure), and the scheduler that starts restore tests as restore jobs for gateways, records
 * their validation and closes their validation window into clean-up.
 */
package dev.vaultgate.coordinator.restoretest;
