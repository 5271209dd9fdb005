/**
 * The scheduler: on every replica, a timer that makes time happen (scheduled backup jobs,
 * lease expiry, start and completion windows, recovery-point lifecycles) through stores that
 * claim each piece of work with a row lock or an insert-once key, so replicas never do it twice.
 */
package dev.vaultgate.coordinator.scheduler;
