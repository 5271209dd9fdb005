package dev.vaultgate.coordinator.notify;

/** The little XML the SNS query protocol answers: elements with escaped text. */
final class SnsXml {

  static final String NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/";

  private SnsXml() {}

  static String element(String name, String text) {
    return "<" + name + ">" + escape(text) + "</" + name + ">";
  }

  static String escape(String s) {
    if (s == null) return "";
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&apos;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  static String response(String action, String resultXml, String requestId) {
    StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?>\n<").append(action).append("Response xmlns=\"")
        .append(NAMESPACE).append("\">");
    if (resultXml != null) b.append('<').append(action).append("Result>").append(resultXml).append("</")
        .append(action).append("Result>");
    return b.append("<ResponseMetadata>").append(element("RequestId", requestId)).append("</ResponseMetadata></")
        .append(action).append("Response>").toString();
  }

  static String error(String code, String message, int status, String requestId) {
    return "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"" + NAMESPACE + "\"><Error>"
        + element("Type", status >= 500 ? "Receiver" : "Sender") + element("Code", code) + element("Message", message)
        + "</Error>" + element("RequestId", requestId) + "</ErrorResponse>";
  }
}
