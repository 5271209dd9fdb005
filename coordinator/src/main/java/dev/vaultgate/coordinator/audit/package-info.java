/**
 * The activity log (what CloudTrail is to AWS): every API call, agent call and service action as a
 * CloudTrail record, appended to a hash chain in PostgreSQL by one writer per coordinator, sealed by
 * signed digests in S3, checked by the verifier and read through CloudTrail's LookupEvents.
 */
package dev.vaultgate.coordinator.audit;
