package dev.vaultgate.coordinator.audit;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams the activity log out of PostgreSQL, a page at a time, through a {@link ChainVerifier},
 * with the anchors of the digests (already checked by {@link DigestChecks}) and their findings.
 */
public final class AuditVerifier {

  static final int PAGE = 5_000;

  /** What a verification found; {@link #ok()} when nothing. */
  public record Report(long fromSeq, long lastSeq, long rowsChecked, int digestsChecked, List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  private AuditVerifier() {}

  static final String RECORDED_DIGESTS = "SELECT object_key, first_seq, last_seq FROM activity_digests ORDER BY last_seq";

  /** Checks the digests read from the bucket, including against those the database says were written. */
  public static Future<DigestChecks.Result> checkDigests(PgActivityLogStore store,
      List<DigestChecks.StoredDigest> inBucket, java.util.Set<String> trustedKeys) {
    return store.pool().query(RECORDED_DIGESTS).execute().map(rows -> {
      List<DigestChecks.Recorded> recorded = new ArrayList<>();
      for (io.vertx.sqlclient.Row r : rows) {
        recorded.add(new DigestChecks.Recorded(r.getString(0), r.getLong(1), r.getLong(2)));
      }
      return DigestChecks.check(inBucket, trustedKeys).withProblems(DigestChecks.missing(inBucket, recorded));
    });
  }

  public static Future<Report> verify(PgActivityLogStore store, long fromSeq, DigestChecks.Result digests) {
    ChainVerifier chain = new ChainVerifier(fromSeq, digests.anchors());
    return page(store, chain, fromSeq).map(v -> {
      List<String> problems = new ArrayList<>(digests.problems());
      for (ChainVerifier.Finding f : chain.finish()) problems.add(f.line());
      return new Report(fromSeq, chain.lastSeq(), chain.rowsChecked(), digests.digestsChecked(), problems);
    });
  }

  private static Future<Void> page(PgActivityLogStore store, ChainVerifier chain, long from) {
    return store.rowsFrom(from, PAGE).compose(rows -> {
      for (PgActivityLogStore.StoredRow r : rows) chain.check(r);
      if (rows.size() < PAGE) return Future.succeededFuture();
      return page(store, chain, rows.get(rows.size() - 1).seq() + 1);
    });
  }
}
