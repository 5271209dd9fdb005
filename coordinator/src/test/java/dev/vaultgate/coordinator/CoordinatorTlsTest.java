package dev.vaultgate.coordinator;

import static dev.vaultgate.coordinator.testing.TestCoordinator.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vaultgate.coordinator.auth.AccessKey;
import dev.vaultgate.coordinator.testing.TestCoordinator;
import io.vertx.core.net.SelfSignedCertificate;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.backup.BackupClient;

/**
 * The AWS API over HTTPS with a configured certificate: a replica on the shared test database serves
 * it; the real SDK client trusting that certificate works, one that does not trust it is refused,
 * and plain HTTP gets no answer.
 */
class CoordinatorTlsTest {

  static TestCoordinator env;
  static Coordinator secure;
  static SelfSignedCertificate certificate;

  @BeforeAll
  static void start() {
    env = TestCoordinator.get();
    certificate = SelfSignedCertificate.create("localhost");
    Path data = Path.of("target", "test-data", "tls-" + UUID.randomUUID()).toAbsolutePath();
    secure = await(Coordinator.start(env.vertx, CoordinatorConfig.forTests(data)
        .withDatabase(env.coordinator.embeddedDatabaseUrl().orElseThrow())
        .withStorage(null, env.coordinator.config().masterKeyFile())
        .withTls(new CoordinatorConfig.ApiTls(Path.of(certificate.certificatePath()),
            Path.of(certificate.privateKeyPath()))), Map.of(), Clock.systemUTC()));
  }

  @AfterAll
  static void stop() {
    await(secure.close());
    certificate.delete();
  }

  private static BackupClient client(AccessKey key, boolean trustTheCertificate) throws Exception {
    Apache5HttpClient.Builder http = Apache5HttpClient.builder();
    if (trustTheCertificate) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(Path.of(certificate.certificatePath()))) {
        trust.setCertificateEntry("coordinator", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trust);
      http.tlsTrustManagersProvider(factory::getTrustManagers);
    }
    return BackupClient.builder()
        .endpointOverride(URI.create("https://localhost:" + secure.port()))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .httpClientBuilder(http)
        .build();
  }

  @Test
  void theSdkClientTrustingTheCertificateDrivesTheApiOverHttps() throws Exception {
    AccessKey key = env.newAccount();
    String name = TestCoordinator.unique("tls");
    try (BackupClient backup = client(key, true)) {
      backup.createBackupVault(r -> r.backupVaultName(name));
      assertEquals(name, backup.describeBackupVault(r -> r.backupVaultName(name)).backupVaultName());
    }
  }

  @Test
  void aClientThatDoesNotTrustTheCertificateIsRefused() throws Exception {
    try (BackupClient backup = client(env.newAccount(), false)) {
      SdkClientException e = assertThrows(SdkClientException.class, () -> backup.listBackupVaults(r -> { }));
      assertTrue(String.valueOf(e.getMessage()).toLowerCase().contains("certif")
          || String.valueOf(e.getCause()).contains("SSL"), String.valueOf(e));
    }
  }

  @Test
  void plainHttpOnTheHttpsPortGetsNoApiAnswer() {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + secure.port() + "/backup-vaults/")).build();
    boolean answered;
    try {
      HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
      answered = r.statusCode() < 400 || r.body().contains("backup");
    } catch (Exception refused) {
      answered = false;
    }
    assertEquals(false, answered, "a plain-HTTP request must not reach the API");
  }

  @Test
  void aMissingCertificateFileIsAOneLineConfigurationError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CoordinatorConfig.ApiTls(Path.of("/nonexistent/coordinator.crt"), Path.of(certificate.privateKeyPath())));
    assertEquals("--tls-certificate /nonexistent/coordinator.crt: expected a readable PEM file", e.getMessage());
  }
}
