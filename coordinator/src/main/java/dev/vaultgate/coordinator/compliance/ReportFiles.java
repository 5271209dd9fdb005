package dev.vaultgate.coordinator.compliance;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A report's rows encoded as the objects Audit Manager delivers: CSV (RFC 4180, a header line,
 * CRLF) and JSON ({@code {"reportItems": [...]}}), and where they go in the bucket. Pure.
 */
public final class ReportFiles {

  private ReportFiles() {}

  public static byte[] csv(List<Map<String, Object>> rows, List<String> columns) {
    StringBuilder out = new StringBuilder();
    Set<String> header = new LinkedHashSet<>(columns);
    rows.forEach(r -> header.addAll(r.keySet()));
    List<String> cols = new ArrayList<>(header);
    line(out, new ArrayList<>(cols));
    for (Map<String, Object> row : rows) {
      List<Object> values = new ArrayList<>();
      for (String c : cols) values.add(row.get(c));
      line(out, values);
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void line(StringBuilder out, List<?> values) {
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) out.append(',');
      Object v = values.get(i);
      String s = v == null ? "" : v.toString();
      if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
        out.append('"').append(s.replace("\"", "\"\"")).append('"');
      } else {
        out.append(s);
      }
    }
    out.append("\r\n");
  }

  public static byte[] json(List<Map<String, Object>> rows) {
    JsonArray items = new JsonArray();
    for (Map<String, Object> row : rows) items.add(new JsonObject(new LinkedHashMap<>(row)));
    return new JsonObject().put("reportItems", items).encodePrettily().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The object key, laid out as AWS lays out its reports:
   * {@code [prefix/]Backup/<account>/<region>/<yyyy>/<mm>/<dd>/<template>/<plan>_<job>.<csv|json>}.
   */
  public static String key(String prefix, String accountId, String region, Instant at, String template, String plan,
      String jobId, String format) {
    String day = DateTimeFormatter.ofPattern("yyyy/MM/dd").withZone(ZoneOffset.UTC).format(at);
    String p = prefix == null || prefix.isBlank() ? "" : (prefix.endsWith("/") ? prefix : prefix + "/");
    return p + "Backup/" + accountId + "/" + region + "/" + day + "/" + template + "/" + plan + "_" + jobId + "."
        + format.toLowerCase(java.util.Locale.ROOT);
  }
}
