/** The VMware benchmark program that {@code scripts/bench-vmware} runs: vcsim, a full VM backup and a CBT incremental. */
package dev.vaultgate.agent.bench;
