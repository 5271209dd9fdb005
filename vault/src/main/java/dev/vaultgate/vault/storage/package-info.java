/**
 * Where vault objects live: put, get (whole or a byte range), list and delete named objects, and S3 Object Lock on
 * them (retention, legal hold, extend-never-shorten, delete of every version with or without governance bypass).
 * Storage knows nothing of the vault format or of crypto; decorators add retry, throttling and faults.
 */
package dev.vaultgate.vault.storage;
