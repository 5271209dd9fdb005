/**
 * How the agent reads a VM's disk: the {@link dev.vaultgate.agent.disk.DiskReader} port, the datastore HTTPS
 * reader that serves it today, and decorators (retry) that wrap any reader. Hot-add or NBD readers plug in here.
 */
package dev.vaultgate.agent.disk;
