/**
 * The gateway agent: discovers VMware VMs through vCenter, backs their disks up into a vault through
 * Changed Block Tracking, and restores them as new VMs or to local files.
 */
package dev.vaultgate.agent;
