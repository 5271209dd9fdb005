package dev.vaultgate.vault.storage;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VaultLocationTest {
  private static final String EXPECTED = "(expected file:///abs/dir or s3://bucket[/prefix]?endpoint=...&region=...)";

  @Test
  void fileUrlNamesAnAbsoluteDirectory() {
    VaultLocation location = VaultLocation.parse("file:///var/lib/vaultgate/prod/");
    assertEquals(new VaultLocation.FileLocation(Path.of("/var/lib/vaultgate/prod")), location);
    assertEquals("file:///var/lib/vaultgate/prod", location.url());
  }

  @Test
  void fileUrlDecodesEscapedCharacters() {
    VaultLocation location = VaultLocation.parse("file:///srv/my%20vaults/a");
    assertEquals(new VaultLocation.FileLocation(Path.of("/srv/my vaults/a")), location);
    assertEquals(location, VaultLocation.parse(location.url()));
  }

  @Test
  void s3UrlGivesBucketPrefixEndpointAndRegion() {
    VaultLocation location = VaultLocation.parse(
        "s3://backups.example-1/vaults/prod/?endpoint=http://127.0.0.1:9000&region=eu-west-1");
    assertEquals(new VaultLocation.S3Location("backups.example-1", "vaults/prod",
        Optional.of(URI.create("http://127.0.0.1:9000")), Optional.of("eu-west-1")), location);
    assertEquals("s3://backups.example-1/vaults/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1", location.url());
    assertEquals(location, VaultLocation.parse(location.url()));
  }

  @Test
  void s3UrlNeedsOnlyABucket() {
    assertEquals(new VaultLocation.S3Location("vaults", "", Optional.empty(), Optional.empty()),
        VaultLocation.parse("s3://vaults"));
    assertEquals(new VaultLocation.S3Location("vaults", "", Optional.empty(), Optional.of("us-east-2")),
        VaultLocation.parse("s3://vaults/?region=us-east-2"));
  }

  @Test
  void s3EndpointMayBePercentEncoded() {
    VaultLocation.S3Location location = (VaultLocation.S3Location)
        VaultLocation.parse("s3://vaults/p?endpoint=https%3A%2F%2Fs3.internal%3A8443");
    assertEquals(Optional.of(URI.create("https://s3.internal:8443")), location.endpoint());
  }

  @Test
  void otherSchemeIsNotAVaultUrl() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VaultLocation.parse("ftp://x"));
    assertEquals("not a vault URL: 'ftp://x' " + EXPECTED, e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/var/lib/vault",            // a bare path
      "file:relative/dir",         // not absolute
      "file://nas/vaults",         // a host
      "file:///srv/../etc",        // climbs out
      "file:///srv/v?x=1",         // a query
      "s3://",                     // no bucket
      "s3://Bad_Bucket/v",         // not a bucket name
      "s3://ab",                   // too short
      "s3://vaults//double",       // empty prefix segment
      "s3://vaults/a/../b",        // climbs out
      "s3://vaults?endpoint=ftp://h", // endpoint not http(s)
      "s3://vaults?endpoint=http://h:9000/path", // endpoint with a path
      "s3://vaults?region=US%20EAST", // not a region
      "s3://vaults?colour=red",    // unknown parameter
      "s3://user@vaults/p",        // credentials do not go in the URL
      "http://vaults",
      "not a url at all",
      " "})
  void badUrlFailsWithOneLineNamingTheUrlAndWhatWasExpected(String url) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VaultLocation.parse(url));
    assertTrue(e.getMessage().contains("'" + url.trim() + "'") || url.isBlank(), e.getMessage());
    assertTrue(e.getMessage().endsWith(EXPECTED), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void openWrapsTheStorageInRetry() {
    Vertx vertx = Vertx.vertx();
    try (VaultStorage storage = VaultStorages.open(vertx, "file:///tmp/vaultgate-never-created")) {
      RetryingVaultStorage retrying = assertInstanceOf(RetryingVaultStorage.class, storage);
      assertInstanceOf(FileVaultStorage.class, retrying.delegate());
      assertEquals("file:///tmp/vaultgate-never-created", storage.describe());
    } finally {
      vertx.close();
    }
  }

  @Test
  void openGivesAnS3StorageForAnS3Url() {
    Vertx vertx = Vertx.vertx();
    try (VaultStorage storage = VaultStorages.open(vertx, "s3://vaults/prod?endpoint=http://127.0.0.1:9&region=us-east-1")) {
      S3VaultStorage s3 = assertInstanceOf(S3VaultStorage.class, ((RetryingVaultStorage) storage).delegate());
      assertEquals("s3://vaults/prod", s3.describe());
      assertEquals("http://127.0.0.1:9", s3.endpoint());
    } finally {
      vertx.close();
    }
  }
}
