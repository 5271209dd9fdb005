/** Test fixtures of the agent: the vCenter simulator started from {@code scripts/vcsim}, vaults on temp dirs, blocking helpers. */
package dev.vaultgate.agent.testing;
