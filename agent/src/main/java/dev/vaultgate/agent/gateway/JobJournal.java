package dev.vaultgate.agent.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs this gateway holds, on its disk ({@code <stateDir>/jobs/<jobId>.json}), so that a gateway restarted
 * mid-job knows them again: a job is written when leased, its outcome is added before it is reported, and the file
 * is removed once the coordinator took the outcome. What is left at start is a job to resume (or fail) or an
 * outcome to report again: the queue of reports that outlives a coordinator away for longer than a lease.
 * Files are replaced atomically; I/O runs on a worker.
 */
final class JobJournal {
  private static final Logger LOG = LoggerFactory.getLogger(JobJournal.class);

  /** One journaled job: the job as leased, and its outcome once known ({@code {"call": complete|fail, "body"}}). */
  record Entry(JsonObject job, JsonObject outcome) {
    String jobId() {
      return job.getString("jobId");
    }

    String kind() {
      return job.getString("kind", "BACKUP");
    }
  }

  private final Vertx vertx;
  private final Path dir;

  JobJournal(Vertx vertx, Path stateDir) {
    this.vertx = vertx;
    this.dir = stateDir.resolve("jobs");
  }

  Future<Void> leased(JsonObject job) {
    return write(new Entry(job, null));
  }

  /** Records the outcome about to be reported; {@code call} is the agent API's {@code complete} or {@code fail}. */
  Future<Void> outcome(JsonObject job, String call, JsonObject body) {
    return write(new Entry(job, new JsonObject().put("call", call).put("body", body)));
  }

  Future<Void> forget(String jobId) {
    return vertx.executeBlocking(() -> {
      Files.deleteIfExists(file(jobId));
      return null;
    }, false);
  }

  /** Every journaled job; an unreadable file is logged and left for an operator. */
  Future<List<Entry>> entries() {
    return vertx.executeBlocking(() -> {
      List<Entry> out = new ArrayList<>();
      if (!Files.isDirectory(dir)) {
        return out;
      }
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
        for (Path f : files) {
          try {
            JsonObject o = new JsonObject(Files.readString(f, StandardCharsets.UTF_8));
            out.add(new Entry(o.getJsonObject("job"), o.getJsonObject("outcome")));
          } catch (IOException | DecodeException | ClassCastException e) {
            LOG.warn("job journal {}: unreadable, left as it is: {}", f, e.getMessage());
          }
        }
      }
      return out;
    }, false);
  }

  private Future<Void> write(Entry e) {
    JsonObject o = new JsonObject().put("job", e.job()).put("outcome", e.outcome());
    return vertx.executeBlocking(() -> {
      Files.createDirectories(dir);
      Path target = file(e.jobId());
      Path tmp = dir.resolve(target.getFileName() + ".tmp");
      Files.writeString(tmp, o.encode(), StandardCharsets.UTF_8);
      try {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException notAtomic) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return null;
    }, false);
  }

  private Path file(String jobId) {
    // job ids are the coordinator's (UUID-like); anything else is made safe as a file name
    return dir.resolve(jobId.replaceAll("[^A-Za-z0-9._-]", "_") + ".json");
  }
}
