/**
 * Where vault objects live: put, get (whole or a byte range), list and delete named objects.
 * Storage knows nothing of the vault format or of crypto; decorators add retry, throttling and faults.
 */
package dev.vaultgate.vault.storage;
