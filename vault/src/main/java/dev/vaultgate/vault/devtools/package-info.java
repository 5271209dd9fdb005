/**
 * Tools for development, tests and scripts, never for production paths: an in-process S3 server
 * ({@link dev.vaultgate.vault.devtools.LocalS3Server}) to run vaults against without AWS.
 */
package dev.vaultgate.vault.devtools;
