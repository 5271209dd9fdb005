/**
 * AWS Backup Audit Manager on the coordinator: the controls (catalog, parameters, evaluation over
 * plain records of the coordinator's state), frameworks that group them, report plans and report
 * jobs, and their PostgreSQL stores.
 */
package dev.vaultgate.coordinator.compliance;
