package dev.vaultgate.coordinator.agent;

import dev.vaultgate.vault.storage.VaultStorage;
import java.util.Map;
import java.util.function.Function;

/**
 * How the coordinator's storage passes (lock check, lifecycle, legal holds, point deletion, vault gc) reach a vault's
 * storage: where it lives by its ARN ({@link VaultLocations#ofArn}) and how to open it with the owner's credentials.
 *
 * @param region        the region the coordinator serves
 * @param root          the vault storage root of that region
 * @param regionStorage other regions' roots
 * @param opener        opens a vault's storage from its location URL
 */
public record VaultStorageAccess(String region, String root, Map<String, String> regionStorage,
    Function<String, VaultStorage> opener) {

  public VaultStorageAccess {
    regionStorage = Map.copyOf(regionStorage);
  }

  /** The vault's location URL, or null when its region has no storage configured. */
  public String location(String vaultArn) {
    return VaultLocations.ofArn(region, root, regionStorage, vaultArn);
  }

  public VaultStorage open(String location) {
    return opener.apply(location);
  }
}
