package dev.vaultgate.vault.cli;

import java.util.concurrent.CompletionException;

/** Turns any failure into the one line a user reads. */
final class Errors {
  private Errors() {
  }

  static String oneLine(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t.getClass() == RuntimeException.class) && t.getCause() != null) {
      t = t.getCause();
    }
    String message = t.getMessage();
    boolean ours = t.getClass().getName().startsWith("dev.vaultgate.") || t instanceof IllegalArgumentException;
    if (message == null || message.isBlank()) {
      message = "internal error: " + t.getClass().getName();
    } else if (!ours) {
      message = t.getClass().getSimpleName() + ": " + message;
    }
    return message.replace('\n', ' ').strip();
  }
}
