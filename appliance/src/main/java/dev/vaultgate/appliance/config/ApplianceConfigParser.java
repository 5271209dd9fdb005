package dev.vaultgate.appliance.config;

import dev.vaultgate.vault.storage.VaultLocation;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code appliance.conf}: one JSON object (JSON because Vert.x parses it with no extra dependency; the
 * documented example is {@code appliance/appliance.conf.example}). Every key is checked once, here: an unknown
 * key, a wrong type or a bad value fails with a one-line {@link ConfigException} that names the key, the value
 * and what was expected, e.g. {@code appliance.conf: webUi.port = 70000: expected a port 1-65535}.
 */
public final class ApplianceConfigParser {
  static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+");
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  /** As the coordinator's KMS API and AWS accept a key reference in an ARN: a key or an alias. */
  static final Pattern KMS_KEY_ARN = Pattern.compile("arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\\d+:\\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)");
  static final long MIN_UPLOAD_BITS_PER_SECOND = 51_200; // AWS Backup gateway's floor for a rate limit
  private static final int MAX_JOBS = 64;

  private final String file;

  private ApplianceConfigParser(String file) {
    this.file = file;
  }

  /** Reads and validates {@code path}. */
  public static ApplianceConfig load(Path path) {
    String name = path.toString();
    String text;
    try {
      text = Files.readString(path);
    } catch (NoSuchFileException e) {
      throw new ConfigException("", name + ": no such config file");
    } catch (IOException e) {
      throw new ConfigException("", name + ": cannot read the config file: " + e.getMessage());
    }
    return parse(name, text);
  }

  /** Validates {@code text}; {@code file} names it in messages. Relative paths resolve against the working directory. */
  public static ApplianceConfig parse(String file, String text) {
    JsonObject root;
    try {
      root = new JsonObject(text);
    } catch (DecodeException e) {
      throw new ConfigException("", file + ": not a JSON object: " + firstLine(e.getMessage()));
    }
    return new ApplianceConfigParser(file).config(root);
  }

  private ApplianceConfig config(JsonObject root) {
    Obj o = new Obj("", root);
    o.allow("gatewayName", "coordinatorUrl", "dataDir", "vault", "s3", "tls", "webUi", "maxConcurrentJobs",
        "localVolumes", "bandwidth", "kms");
    String gatewayName = o.name("gatewayName");
    URI coordinator = o.url("coordinatorUrl");
    Path dataDir = o.path("dataDir");

    Obj v = o.object("vault", true);
    v.allow("url", "masterKeyFile", "kmsKeyArn");
    String vaultUrl = v.string("url", true);
    try {
      VaultLocation.parse(vaultUrl);
    } catch (IllegalArgumentException e) {
      throw v.bad("url", vaultUrl, "a vault URL file:///abs/dir or s3://bucket[/prefix]?endpoint=URL&region=REGION ("
          + firstLine(e.getMessage()) + ")");
    }
    Optional<String> vaultKmsKey = Optional.empty();
    if (v.has("kmsKeyArn")) {
      String arn = v.string("kmsKeyArn", true);
      if (!KMS_KEY_ARN.matcher(arn).matches()) {
        throw v.bad("kmsKeyArn", arn, "a KMS key ARN arn:aws:kms:REGION:ACCOUNT:key/ID (or :alias/NAME)");
      }
      vaultKmsKey = Optional.of(arn);
    }
    ApplianceConfig.Vault vault = new ApplianceConfig.Vault(vaultUrl, v.existingFile("masterKeyFile"), vaultKmsKey);

    Optional<ApplianceConfig.S3Credentials> s3 = Optional.empty();
    Obj s = o.object("s3", false);
    if (s != null) {
      s.allow("accessKeyId", "secretAccessKey");
      s3 = Optional.of(new ApplianceConfig.S3Credentials(s.string("accessKeyId", true), s.string("secretAccessKey", true)));
    }

    Optional<ApplianceConfig.Kms> kms = Optional.empty();
    Obj k = o.object("kms", false);
    if (k != null) {
      k.allow("endpoint", "region", "accessKeyId", "secretAccessKey");
      Optional<URI> endpoint = k.has("endpoint") ? Optional.of(k.httpUrl("endpoint")) : Optional.empty();
      String region = k.string("region", true);
      if (!REGION.matcher(region).matches()) {
        throw k.bad("region", region, "an AWS region name such as us-east-1");
      }
      if (k.has("accessKeyId") != k.has("secretAccessKey")) {
        String given = k.has("accessKeyId") ? "accessKeyId" : "secretAccessKey";
        throw k.bad(given, k.has("accessKeyId") ? k.string("accessKeyId", false) : "***",
            "accessKeyId and secretAccessKey together (neither: the AWS SDK's default chain)");
      }
      kms = Optional.of(new ApplianceConfig.Kms(endpoint, region,
          k.has("accessKeyId") ? Optional.of(k.string("accessKeyId", true)) : Optional.empty(),
          k.has("secretAccessKey") ? Optional.of(k.string("secretAccessKey", true)) : Optional.empty()));
    }

    if (vault.kmsKeyArn().isPresent() && kms.isEmpty()) {
      throw v.bad("kmsKeyArn", vault.kmsKeyArn().get(), "a kms section too (endpoint, region, credentials): the KMS that holds"
          + " the key");
    }

    Path tlsDir = dataDir.resolve("tls");
    ApplianceConfig.Tls tls = new ApplianceConfig.Tls(tlsDir.resolve("gateway.crt"), tlsDir.resolve("gateway.key"),
        tlsDir.resolve("coordinator-ca.crt"));
    Obj t = o.object("tls", false);
    if (t != null) {
      t.allow("certificateFile", "privateKeyFile", "coordinatorCaFile");
      tls = new ApplianceConfig.Tls(t.optionalPath("certificateFile", tls.certificateFile()),
          t.optionalPath("privateKeyFile", tls.privateKeyFile()), t.optionalPath("coordinatorCaFile", tls.coordinatorCaFile()));
    }

    Obj w = o.object("webUi", true);
    w.allow("host", "port", "adminPasswordHash");
    String host = w.has("host") ? w.string("host", true) : "0.0.0.0";
    int port = (int) w.integer("port", 1, 65535, "a port 1-65535");
    String hash = w.string("adminPasswordHash", true);
    try {
      PasswordHash.parse(hash);
    } catch (IllegalArgumentException e) {
      throw w.bad("adminPasswordHash", abbreviate(hash), e.getMessage());
    }
    ApplianceConfig.WebUi webUi = new ApplianceConfig.WebUi(host, port, hash);

    int maxJobs = o.has("maxConcurrentJobs") ? (int) o.integer("maxConcurrentJobs", 1, MAX_JOBS, "a whole number 1-" + MAX_JOBS) : 2;

    List<ApplianceConfig.LocalVolume> volumes = new ArrayList<>();
    JsonArray vols = o.array("localVolumes");
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; vols != null && i < vols.size(); i++) {
      Obj lv = o.element("localVolumes", vols, i);
      lv.allow("name", "path", "tags");
      String n = lv.name("name");
      if (!names.add(n)) {
        throw lv.bad("name", n, "a name no other local volume has");
      }
      Path p = lv.path("path");
      if (!Files.exists(p)) {
        throw lv.bad("path", p.toString(), "an existing image file or block device (no such file)");
      }
      if (Files.isDirectory(p)) {
        throw lv.bad("path", p.toString(), "an image file or block device, not a directory");
      }
      volumes.add(new ApplianceConfig.LocalVolume(n, p, lv.tags("tags")));
    }

    ApplianceConfig.Bandwidth bandwidth = ApplianceConfig.Bandwidth.UNLIMITED;
    Obj b = o.object("bandwidth", false);
    if (b != null) {
      b.allow("uploadBitsPerSecond", "schedule");
      Optional<Long> dflt = b.has("uploadBitsPerSecond")
          ? Optional.of(b.integer("uploadBitsPerSecond", MIN_UPLOAD_BITS_PER_SECOND, Long.MAX_VALUE, "bits per second, at least " + MIN_UPLOAD_BITS_PER_SECOND))
          : Optional.empty();
      List<ApplianceConfig.Interval> schedule = new ArrayList<>();
      JsonArray sched = b.array("schedule");
      for (int i = 0; sched != null && i < sched.size(); i++) {
        Obj iv = b.element("schedule", sched, i);
        iv.allow("days", "start", "end", "uploadBitsPerSecond");
        LocalTime start = iv.time("start");
        LocalTime end = iv.time("end");
        if (!end.isAfter(start)) {
          throw iv.bad("end", end.toString(), "a time after start " + start);
        }
        schedule.add(new ApplianceConfig.Interval(iv.days("days"), start, end,
            iv.integer("uploadBitsPerSecond", MIN_UPLOAD_BITS_PER_SECOND, Long.MAX_VALUE, "bits per second, at least " + MIN_UPLOAD_BITS_PER_SECOND)));
      }
      bandwidth = new ApplianceConfig.Bandwidth(dflt, List.copyOf(schedule));
    }
    return new ApplianceConfig(gatewayName, coordinator, dataDir, vault, s3, tls, webUi, maxJobs, List.copyOf(volumes), bandwidth, kms);
  }

  /** One JSON object of the config, at a dotted key path. */
  private final class Obj {
    final String at;
    final JsonObject json;

    Obj(String at, JsonObject json) {
      this.at = at;
      this.json = json;
    }

    String key(String k) {
      return at.isEmpty() ? k : at + "." + k;
    }

    ConfigException bad(String k, Object value, String expected) {
      return new ConfigException(key(k), file + ": " + key(k) + " = " + value + ": expected " + expected);
    }

    /** Refuses keys other than {@code allowed}; a near miss is named. */
    void allow(String... allowed) {
      List<String> known = List.of(allowed);
      for (String k : json.fieldNames()) {
        if (!known.contains(k)) {
          String near = nearest(k, known);
          throw new ConfigException(key(k), file + ": unknown key " + key(k)
              + (near == null ? "" : " (did you mean " + key(near) + "?)") + ": expected one of " + String.join(", ", known));
        }
      }
    }

    boolean has(String k) {
      return json.containsKey(k) && json.getValue(k) != null;
    }

    Object value(String k) {
      Object v = json.getValue(k);
      if (v == null) {
        throw new ConfigException(key(k), file + ": missing key " + key(k));
      }
      return v;
    }

    String string(String k, boolean nonEmpty) {
      Object v = value(k);
      if (!(v instanceof String str)) {
        throw bad(k, show(v), "a string");
      }
      if (nonEmpty && str.isBlank()) {
        throw bad(k, "\"\"", "a non-empty string");
      }
      return str;
    }

    String name(String k) {
      String n = string(k, true);
      if (!NAME.matcher(n).matches()) {
        throw bad(k, n, "1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
      }
      return n;
    }

    long integer(String k, long min, long max, String expected) {
      Object v = value(k);
      if (!(v instanceof Number num) || num.doubleValue() != Math.rint(num.doubleValue())) {
        throw bad(k, show(v), expected);
      }
      long n = num.longValue();
      if (n < min || n > max) {
        throw bad(k, n, expected);
      }
      return n;
    }

    URI url(String k) {
      String s = string(k, true);
      try {
        URI u = new URI(s);
        if (!"https".equals(u.getScheme()) || u.getHost() == null || u.getHost().isEmpty()) {
          throw bad(k, s, "an https:// URL with a host (the coordinator is reached over mutual TLS)");
        }
        return u;
      } catch (URISyntaxException e) {
        throw bad(k, s, "an https:// URL (" + e.getReason() + ")");
      }
    }

    /** An http:// or https:// URL with a host (a KMS endpoint: the coordinator's, or AWS KMS's). */
    URI httpUrl(String k) {
      String s = string(k, true);
      try {
        URI u = new URI(s);
        if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null || u.getHost().isEmpty()) {
          throw bad(k, s, "an http:// or https:// URL with a host");
        }
        return u;
      } catch (URISyntaxException e) {
        throw bad(k, s, "an http:// or https:// URL (" + e.getReason() + ")");
      }
    }

    Path path(String k) {
      return Path.of(string(k, true)).toAbsolutePath().normalize();
    }

    Path optionalPath(String k, Path otherwise) {
      return has(k) ? path(k) : otherwise;
    }

    Path existingFile(String k) {
      Path p = path(k);
      if (!Files.isRegularFile(p)) {
        throw bad(k, p.toString(), "an existing file (" + (Files.exists(p) ? "not a regular file" : "no such file") + ")");
      }
      if (!Files.isReadable(p)) {
        throw bad(k, p.toString(), "a file this user can read (permission denied)");
      }
      return p;
    }

    LocalTime time(String k) {
      String s = string(k, true);
      try {
        if (!s.matches("\\d\\d:\\d\\d")) {
          throw new DateTimeParseException("", s, 0);
        }
        return LocalTime.parse(s);
      } catch (DateTimeParseException e) {
        throw bad(k, s, "a time HH:MM (00:00-23:59)");
      }
    }

    Set<DayOfWeek> days(String k) {
      Object v = value(k);
      if (!(v instanceof JsonArray arr) || arr.isEmpty()) {
        throw bad(k, show(v), "a non-empty list of days, e.g. [\"MON\", \"TUE\"]");
      }
      Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
      for (Object d : arr) {
        DayOfWeek day = d instanceof String str ? dayOf(str) : null;
        if (day == null) {
          throw bad(k, show(d), "days among MON, TUE, WED, THU, FRI, SAT, SUN");
        }
        days.add(day);
      }
      return days;
    }

    Map<String, String> tags(String k) {
      if (!has(k)) {
        return Map.of();
      }
      Object v = value(k);
      if (!(v instanceof JsonObject obj)) {
        throw bad(k, show(v), "an object of tag names to string values");
      }
      Map<String, String> tags = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : obj) {
        if (!(e.getValue() instanceof String str)) {
          throw bad(k + "." + e.getKey(), show(e.getValue()), "a string tag value");
        }
        if (e.getKey().isEmpty() || e.getKey().length() > 128 || str.length() > 256) {
          throw bad(k + "." + e.getKey(), str, "a tag key of 1-128 characters and a value of at most 256 (AWS's limits)");
        }
        tags.put(e.getKey(), str);
      }
      return Map.copyOf(tags);
    }

    Obj object(String k, boolean required) {
      if (!has(k)) {
        if (required) {
          throw new ConfigException(key(k), file + ": missing key " + key(k));
        }
        return null;
      }
      Object v = json.getValue(k);
      if (!(v instanceof JsonObject obj)) {
        throw bad(k, show(v), "an object { ... }");
      }
      return new Obj(key(k), obj);
    }

    JsonArray array(String k) {
      if (!has(k)) {
        return null;
      }
      Object v = json.getValue(k);
      if (!(v instanceof JsonArray arr)) {
        throw bad(k, show(v), "a list [ ... ]");
      }
      return arr;
    }

    Obj element(String k, JsonArray arr, int i) {
      Object v = arr.getValue(i);
      String at = key(k) + "[" + i + "]";
      if (!(v instanceof JsonObject obj)) {
        throw new ConfigException(at, file + ": " + at + " = " + show(v) + ": expected an object { ... }");
      }
      return new Obj(at, obj);
    }
  }

  private static DayOfWeek dayOf(String s) {
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.name().substring(0, 3).equalsIgnoreCase(s)) {
        return d;
      }
    }
    return null;
  }

  /** A value as the user wrote it: strings quoted, so that "8443" and 8443 read differently. */
  private static String show(Object v) {
    if (v instanceof String s) {
      return "\"" + s + "\"";
    }
    if (v instanceof JsonObject) {
      return "{...}";
    }
    if (v instanceof JsonArray) {
      return "[...]";
    }
    return String.valueOf(v);
  }

  private static String abbreviate(String secret) {
    return secret.length() <= 16 ? "\"" + secret + "\"" : "\"" + secret.substring(0, 16) + "...\"";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The known key within edit distance 2 of {@code k}, if one is. */
  static String nearest(String k, List<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String c : known) {
      int d = distance(k.toLowerCase(), c.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return best;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
