package dev.vaultgate.appliance.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApplianceConfigParserTest {
  @TempDir
  Path dir;
  Path masterKey;
  Path image;

  @BeforeEach
  void files() throws IOException {
    masterKey = Files.writeString(dir.resolve("master.key"), "k");
    image = Files.write(dir.resolve("disk.img"), new byte[4096]);
  }

  /** The documented example, with its paths pointed at files that exist here. */
  private JsonObject example() throws IOException {
    JsonObject c = new JsonObject(Files.readString(Path.of("appliance.conf.example")));
    c.getJsonObject("vault").put("masterKeyFile", masterKey.toString());
    c.getJsonArray("localVolumes").getJsonObject(0).put("path", image.toString());
    c.getJsonArray("localVolumes").getJsonObject(1).put("path", image.toString());
    return c;
  }

  private String errorFor(Consumer<JsonObject> change) throws IOException {
    JsonObject c = example();
    change.accept(c);
    ConfigException e = assertThrows(ConfigException.class, () -> ApplianceConfigParser.parse("appliance.conf", c.encodePrettily()));
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    return e.getMessage();
  }

  @Test
  void documentedExampleParsesIntoRecords() throws IOException {
    ApplianceConfig c = ApplianceConfigParser.parse("appliance.conf", example().encode());
    assertEquals("dc1-gw1", c.gatewayName());
    assertEquals("coordinator.example.com", c.coordinatorUrl().getHost());
    assertEquals(9443, c.webUi().port());
    assertEquals(2, c.maxConcurrentJobs());
    assertEquals(2, c.localVolumes().size());
    assertEquals("postgres", c.localVolumes().get(0).tags().get("app"));
    assertEquals(1_000_000_000L, c.bandwidth().uploadBitsPerSecond().orElseThrow());
    ApplianceConfig.Interval day = c.bandwidth().schedule().get(0);
    assertTrue(day.days().contains(DayOfWeek.FRIDAY) && !day.days().contains(DayOfWeek.SUNDAY));
    assertEquals(LocalTime.of(8, 0), day.start());
    assertEquals(Path.of("/var/lib/vaultgate/tls/gateway.crt"), c.tls().certificateFile());
    assertFalse(c.toString().contains("change-me"), "the S3 secret is not printed");
  }

  @Test
  void theVaultsKmsKeyIsReadAndNeedsAKeyArnAndTheKmsSection() throws IOException {
    ApplianceConfig c = ApplianceConfigParser.parse("appliance.conf", example().encode());
    assertEquals("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", c.vault().kmsKeyArn().orElseThrow());
    JsonObject alias = example();
    alias.getJsonObject("vault").put("kmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:alias/gateway-vault");
    assertEquals("arn:aws:kms:eu-west-1:123456789012:alias/gateway-vault",
        ApplianceConfigParser.parse("appliance.conf", alias.encode()).vault().kmsKeyArn().orElseThrow());
    JsonObject plain = example();
    plain.getJsonObject("vault").remove("kmsKeyArn");
    assertTrue(ApplianceConfigParser.parse("appliance.conf", plain.encode()).vault().kmsKeyArn().isEmpty(), "the master key file wraps");

    assertEquals("appliance.conf: vault.kmsKeyArn = 1234abcd: expected a KMS key ARN arn:aws:kms:REGION:ACCOUNT:key/ID (or :alias/NAME)",
        errorFor(x -> x.getJsonObject("vault").put("kmsKeyArn", "1234abcd")));
    assertEquals("appliance.conf: vault.kmsKeyArn = arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab: expected"
        + " a kms section too (endpoint, region, credentials): the KMS that holds the key", errorFor(x -> x.remove("kms")));
    assertEquals("appliance.conf: vault.kmsKeyArn = \"\": expected a non-empty string",
        errorFor(x -> x.getJsonObject("vault").put("kmsKeyArn", "")));
    String typo = errorFor(x -> x.getJsonObject("vault").put("kmsKeyARN", "x"));
    assertTrue(typo.contains("unknown key vault.kmsKeyARN (did you mean vault.kmsKeyArn?)"), typo);
  }

  @Test
  void kmsKeysAreReadAndValidated() throws IOException {
    ApplianceConfig.Kms kms = ApplianceConfigParser.parse("appliance.conf", example().encode()).kms().orElseThrow();
    assertEquals("https://coordinator.example.com:8443", kms.endpoint().orElseThrow().toString());
    assertEquals("us-east-1", kms.region());
    assertEquals("GATEWAY-KMS-KEY", kms.accessKeyId().orElseThrow());
    assertEquals("change-me-too", kms.secretAccessKey().orElseThrow());
    assertFalse(kms.toString().contains("change-me-too"), "the KMS secret is not printed");

    JsonObject awsKms = example();
    awsKms.put("kms", new JsonObject().put("region", "eu-west-1"));
    ApplianceConfig.Kms aws = ApplianceConfigParser.parse("appliance.conf", awsKms.encode()).kms().orElseThrow();
    assertTrue(aws.endpoint().isEmpty() && aws.accessKeyId().isEmpty(), "AWS KMS of the region, the SDK's default chain: " + aws);
    JsonObject none = example();
    none.remove("kms");
    none.getJsonObject("vault").remove("kmsKeyArn");
    assertTrue(ApplianceConfigParser.parse("appliance.conf", none.encode()).kms().isEmpty());

    assertEquals("appliance.conf: kms.endpoint = ftp://kms: expected an http:// or https:// URL with a host",
        errorFor(c -> c.getJsonObject("kms").put("endpoint", "ftp://kms")));
    assertEquals("appliance.conf: kms.region = US_EAST_1: expected an AWS region name such as us-east-1",
        errorFor(c -> c.getJsonObject("kms").put("region", "US_EAST_1")));
    String half = errorFor(c -> c.getJsonObject("kms").remove("accessKeyId"));
    assertEquals("appliance.conf: kms.secretAccessKey = ***: expected accessKeyId and secretAccessKey together (neither: the"
        + " AWS SDK's default chain)", half);
    String typo = errorFor(c -> c.getJsonObject("kms").put("endpont", "https://x"));
    assertTrue(typo.contains("unknown key kms.endpont (did you mean kms.endpoint?)"), typo);
    assertEquals("appliance.conf: missing key kms.region", errorFor(c -> c.getJsonObject("kms").remove("region")));
  }

  @Test
  void typoedKeyIsNamedWithTheNearestKnownOne() throws IOException {
    String m = errorFor(c -> c.put("maxConcurentJobs", 3));
    assertTrue(m.startsWith("appliance.conf: unknown key maxConcurentJobs (did you mean maxConcurrentJobs?)"), m);
    String nested = errorFor(c -> c.getJsonObject("webUi").put("prot", 1));
    assertTrue(nested.contains("unknown key webUi.prot (did you mean webUi.port?)"), nested);
  }

  @Test
  void wrongTypeNamesKeyValueAndExpectedType() throws IOException {
    assertEquals("appliance.conf: webUi.port = \"9443\": expected a port 1-65535",
        errorFor(c -> c.getJsonObject("webUi").put("port", "9443")));
    assertEquals("appliance.conf: maxConcurrentJobs = 1.5: expected a whole number 1-64",
        errorFor(c -> c.put("maxConcurrentJobs", 1.5)));
    assertEquals("appliance.conf: localVolumes = {...}: expected a list [ ... ]",
        errorFor(c -> c.put("localVolumes", new JsonObject())));
    assertEquals("appliance.conf: localVolumes[0].tags.env = 3: expected a string tag value",
        errorFor(c -> c.getJsonArray("localVolumes").getJsonObject(0).getJsonObject("tags").put("env", 3)));
  }

  @Test
  void portOutOfRangeIsRefused() throws IOException {
    assertEquals("appliance.conf: webUi.port = 70000: expected a port 1-65535",
        errorFor(c -> c.getJsonObject("webUi").put("port", 70000)));
    assertEquals("appliance.conf: webUi.port = 0: expected a port 1-65535",
        errorFor(c -> c.getJsonObject("webUi").put("port", 0)));
  }

  @Test
  void badUrlsAreRefused() throws IOException {
    assertEquals("appliance.conf: coordinatorUrl = http://coordinator:8443: expected an https:// URL with a host "
        + "(the coordinator is reached over mutual TLS)", errorFor(c -> c.put("coordinatorUrl", "http://coordinator:8443")));
    String syntax = errorFor(c -> c.put("coordinatorUrl", "https://bad host/"));
    assertTrue(syntax.startsWith("appliance.conf: coordinatorUrl = https://bad host/: expected an https:// URL ("), syntax);
    String vault = errorFor(c -> c.getJsonObject("vault").put("url", "s3://B"));
    assertTrue(vault.startsWith("appliance.conf: vault.url = s3://B: expected a vault URL"), vault);
  }

  @Test
  void missingFilesAreRefused() throws IOException {
    Path gone = dir.resolve("nope.key");
    assertEquals("appliance.conf: vault.masterKeyFile = " + gone + ": expected an existing file (no such file)",
        errorFor(c -> c.getJsonObject("vault").put("masterKeyFile", gone.toString())));
    assertEquals("appliance.conf: localVolumes[1].path = " + gone + ": expected an existing image file or block device (no such file)",
        errorFor(c -> c.getJsonArray("localVolumes").getJsonObject(1).put("path", gone.toString())));
    ConfigException e = assertThrows(ConfigException.class, () -> ApplianceConfigParser.load(dir.resolve("absent.conf")));
    assertEquals(dir.resolve("absent.conf") + ": no such config file", e.getMessage());
  }

  @Test
  void missingRequiredKeyIsNamed() throws IOException {
    assertEquals("appliance.conf: missing key webUi.adminPasswordHash",
        errorFor(c -> c.getJsonObject("webUi").remove("adminPasswordHash")));
    assertEquals("appliance.conf: missing key gatewayName", errorFor(c -> c.remove("gatewayName")));
  }

  @Test
  void badValuesSayWhatWasExpected() throws IOException {
    assertTrue(errorFor(c -> c.getJsonObject("webUi").put("adminPasswordHash", "hunter2"))
        .startsWith("appliance.conf: webUi.adminPasswordHash = \"hunter2\": expected pbkdf2-sha256$ITERATIONS$SALT$HASH"));
    JsonObject interval = new JsonObject().put("days", new JsonArray().add("MON").add("FUNDAY")).put("start", "08:00")
        .put("end", "09:00").put("uploadBitsPerSecond", 100_000);
    assertEquals("appliance.conf: bandwidth.schedule[0].days = \"FUNDAY\": expected days among MON, TUE, WED, THU, FRI, SAT, SUN",
        errorFor(c -> c.getJsonObject("bandwidth").put("schedule", new JsonArray().add(interval))));
    assertEquals("appliance.conf: bandwidth.schedule[0].start = 8am: expected a time HH:MM (00:00-23:59)",
        errorFor(c -> c.getJsonObject("bandwidth").getJsonArray("schedule").getJsonObject(0).put("start", "8am")));
    assertEquals("appliance.conf: bandwidth.schedule[0].end = 07:00: expected a time after start 08:00",
        errorFor(c -> c.getJsonObject("bandwidth").getJsonArray("schedule").getJsonObject(0).put("end", "07:00")));
    assertEquals("appliance.conf: bandwidth.uploadBitsPerSecond = 1000: expected bits per second, at least 51200",
        errorFor(c -> c.getJsonObject("bandwidth").put("uploadBitsPerSecond", 1000)));
    assertEquals("appliance.conf: localVolumes[1].name = db-data: expected a name no other local volume has",
        errorFor(c -> c.getJsonArray("localVolumes").getJsonObject(1).put("name", "db-data")));
    assertEquals("appliance.conf: gatewayName = dc 1: expected 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit",
        errorFor(c -> c.put("gatewayName", "dc 1")));
  }

  @Test
  void notJsonIsRefusedInOneLine() {
    ConfigException e = assertThrows(ConfigException.class, () -> ApplianceConfigParser.parse("appliance.conf", "gatewayName = x"));
    assertTrue(e.getMessage().startsWith("appliance.conf: not a JSON object: "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void passwordHashRoundTripsAndRejectsOtherPasswords() {
    PasswordHash h = PasswordHash.create("s3cret!".toCharArray(), PasswordHash.MIN_ITERATIONS);
    PasswordHash parsed = PasswordHash.parse(h.encode());
    assertTrue(parsed.matches("s3cret!".toCharArray()));
    assertFalse(parsed.matches("s3cret".toCharArray()));
  }
}
