package dev.vaultgate.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vaultgate.agent.gateway.GatewayConfig;
import dev.vaultgate.appliance.config.ApplianceConfig;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;

/** The appliance's {@code kms} keys become the agent's KMS: endpoint, region and the credentials that sign its calls. */
class ApplianceKmsConfigTest {

  @Test
  void theKmsKeysBecomeTheAgentsKmsWithStaticCredentials() {
    GatewayConfig.Kms kms = Appliance.kms(new ApplianceConfig.Kms(Optional.of(URI.create("http://coordinator:8080")), "eu-west-1",
        Optional.of("AKID"), Optional.of("SECRET")));
    assertEquals(URI.create("http://coordinator:8080"), kms.endpoint());
    assertEquals("eu-west-1", kms.region());
    AwsBasicCredentials signed = (AwsBasicCredentials) kms.credentials().resolveCredentials();
    assertEquals("AKID", signed.accessKeyId());
    assertEquals("SECRET", signed.secretAccessKey());
    assertEquals("http://coordinator:8080", kms.describe());
  }

  @Test
  void withoutEndpointOrCredentialsItIsAwsKmsOfTheRegionThroughTheDefaultChain() {
    GatewayConfig.Kms kms = Appliance.kms(new ApplianceConfig.Kms(Optional.empty(), "us-west-2", Optional.empty(), Optional.empty()));
    assertNull(kms.endpoint());
    assertNull(kms.credentials(), "null: the SDK's default chain");
    assertEquals("AWS KMS us-west-2", kms.describe());
  }
}
