package dev.vaultgate.agent.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vaultgate.agent.gateway.VaultAccess.KeyScheme;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which key wrapper opens or creates a vault: the vault's config decides once it exists, the job's key before. */
class VaultAccessKeySchemeTest {
  private static final String KEY = "arn:aws:kms:us-east-1:111122223333:key/1234";

  @Test
  void aNewVaultIsMadeWithKmsOnlyWhenTheJobNamesAKey() {
    assertEquals(KeyScheme.KMS, VaultAccess.choose(null, KEY));
    assertEquals(KeyScheme.LOCAL, VaultAccess.choose(null, null));
  }

  @Test
  void anExistingVaultOpensTheWayItsConfigSaysWhateverTheJobNames() {
    assertEquals(KeyScheme.KMS, VaultAccess.choose(Set.of("kms"), null));
    assertEquals(KeyScheme.KMS, VaultAccess.choose(Set.of("kms"), KEY));
    assertEquals(KeyScheme.LOCAL, VaultAccess.choose(Set.of("local"), KEY), "made before the key: the master key opens it");
    assertEquals(KeyScheme.LOCAL, VaultAccess.choose(Set.of(), null), "unreadable: Repository.open says what is wrong");
  }

  @Test
  void keySchemesAreReadFromTheConfigObjectInTheClear() {
    byte[] config = """
        {"format":"vaultgate","version":1,"settings":"{}","keys":[{"scheme":"kms","keyId":"k","wrapped":"AA=="},
         {"scheme":"local","keyId":"m","wrapped":"AA=="}],"settingsMac":"AA=="}""".getBytes(StandardCharsets.UTF_8);
    assertEquals(Set.of("kms", "local"), VaultAccess.keySchemes(config));
    assertEquals(Set.of(), VaultAccess.keySchemes("not json".getBytes(StandardCharsets.UTF_8)));
    assertEquals(Set.of(), VaultAccess.keySchemes("{\"keys\":[1,{\"scheme\":2}]}".getBytes(StandardCharsets.UTF_8)));
  }
}
