/**
 * Vault notifications: the SNS topics and subscriptions the coordinator serves (the SNS query
 * protocol subset the AWS CLI uses), and the worker that drains the notification outbox the
 * database fills in the same transaction as each job or recovery-point state change, delivering
 * signed JSON to http/https subscribers and mail over SMTP, with retries until delivered or dead.
 */
package dev.vaultgate.coordinator.notify;
