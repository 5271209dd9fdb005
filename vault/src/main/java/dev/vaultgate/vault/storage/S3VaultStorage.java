package dev.vaultgate.vault.storage;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.model.DeleteMarkerEntry;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.ObjectLockEnabled;
import software.amazon.awssdk.services.s3.model.ObjectLockLegalHoldStatus;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.utils.ThreadFactoryBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A vault under a prefix of an S3 bucket (AWS, Ceph RGW, MinIO, s3proxy...), through the async SDK on Netty.
 *
 * <p>The SDK does not retry: {@link RetryingVaultStorage} owns retry, and every failure here says whether a
 * retry can help. The storage owns the client and closes it.
 */
public final class S3VaultStorage implements VaultStorage {
  /** Connections per client: uploads are capped above us, this only bounds a burst of small reads. */
  private static final int MAX_CONNECTIONS = 64;

  /**
   * One Netty event loop group for every S3 client of the process, created on first use and never shut down
   * (daemon threads). A client that owns its group waits two seconds for it to go quiet when closed, which
   * would block the closing thread; a shared group also keeps the thread count flat as vaults come and go.
   */
  private static volatile SdkEventLoopGroup eventLoops;

  private static final Set<String> CREDENTIAL_CODES = Set.of(
      "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
      "TokenRefreshRequired", "AuthorizationHeaderMalformed", "InvalidSecurity");

  private static final Set<String> RETRYABLE_CODES = Set.of(
      "SlowDown", "Throttling", "ThrottlingException", "RequestThrottled", "TooManyRequestsException",
      "RequestLimitExceeded", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeoutException",
      "PriorRequestNotComplete", "IncompleteBody", "BadDigest");

  private final Vertx vertx;
  private final S3AsyncClient client;
  private final String bucket;
  private final String keyPrefix;
  private final String where;
  private final String endpoint;
  /** Whether the bucket has Object Lock, once asked: it cannot be turned off, so the answer holds. */
  private volatile Boolean objectLock;
  private volatile WorkerExecutor digests;

  /**
   * @param client a client made by {@link #newClient} (or configured alike: no SDK retries); closed by {@link #close()}
   * @param prefix the vault's folder in the bucket, without slashes at either end; empty for the whole bucket
   */
  public S3VaultStorage(Vertx vertx, S3AsyncClient client, String bucket, String prefix) {
    this.vertx = vertx;
    this.client = client;
    this.bucket = bucket;
    String trimmed = trimSlashes(prefix == null ? "" : prefix);
    if (!trimmed.isEmpty()) {
      ObjectKeyRules.checkKey(trimmed);
    }
    this.keyPrefix = trimmed.isEmpty() ? "" : trimmed + "/";
    this.where = "s3://" + bucket + (trimmed.isEmpty() ? "" : "/" + trimmed);
    this.endpoint = client.serviceClientConfiguration().endpointOverride()
        .map(URI::toString)
        .orElseGet(() -> "https://s3." + client.serviceClientConfiguration().region() + ".amazonaws.com");
  }

  /**
   * An S3 client the way vaults need it: path-style addressing (RGW, MinIO and s3proxy have no virtual hosts),
   * checksums only where S3 requires them (RGW rejects the newer defaults), and no SDK retries.
   *
   * @param endpoint null for AWS itself
   */
  public static S3AsyncClient newClient(URI endpoint, Region region, AwsCredentialsProvider credentials) {
    S3AsyncClientBuilder builder = S3AsyncClient.builder()
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()
            .eventLoopGroup(eventLoops())
            .maxConcurrency(MAX_CONNECTIONS))
        // Complete the SDK's futures on its Netty threads: Future.fromCompletionStage hops to the caller's
        // context anyway, so the SDK's own completion thread pool would only add a second hop.
        .asyncConfiguration(b -> b.advancedOption(SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR,
            Runnable::run))
        .region(region)
        .credentialsProvider(credentials)
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return builder.build();
  }

  private static SdkEventLoopGroup eventLoops() {
    SdkEventLoopGroup group = eventLoops;
    if (group == null) {
      synchronized (S3VaultStorage.class) {
        group = eventLoops;
        if (group == null) {
          group = SdkEventLoopGroup.builder()
              .numberOfThreads(Math.max(2, Runtime.getRuntime().availableProcessors()))
              .threadFactory(new ThreadFactoryBuilder().threadNamePrefix("vault-s3").daemonThreads(true).build())
              .build();
          eventLoops = group;
        }
      }
    }
    return group;
  }

  @Override
  public Future<Void> put(String key, byte[] data) {
    return put(key, data, data.length, null, false);
  }

  @Override
  public Future<byte[]> get(String key) {
    return call(StorageOp.READ, key, () -> client.getObject(
        b -> b.bucket(bucket).key(keyPrefix + key),
        AsyncResponseTransformer.<GetObjectResponse>toBytes()))
        .map(ResponseBytes::asByteArrayUnsafe);
  }

  @Override
  public Future<byte[]> getRange(String key, long offset, int length) {
    if (offset < 0 || length < 0) {
      return Future.failedFuture(new IllegalArgumentException(
          "bad range of " + key + ": offset " + offset + ", length " + length));
    }
    if (length == 0) {
      // "bytes=a-(a-1)" is no valid range, and S3 answers an invalid range with the whole object.
      return stat(key).map(info -> {
        if (offset > info.size()) {
          throw pastEnd(key, offset, length, info.size());
        }
        return new byte[0];
      });
    }
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    return call(StorageOp.READ, key, () -> client.getObject(
        b -> b.bucket(bucket).key(keyPrefix + key).range(range),
        AsyncResponseTransformer.<GetObjectResponse>toBytes()))
        .map(response -> {
          byte[] bytes = response.asByteArrayUnsafe();
          if (bytes.length == length) {
            return bytes;
          }
          long size = totalSize(response.response().contentRange());
          if (size >= 0 && offset + length > size) {
            throw pastEnd(key, offset, length, size);
          }
          // The server cut the body short: a broken connection or proxy, worth another try.
          throw new VaultStorageException(StorageOp.READ.message(key, where,
              "asked for " + length + " bytes at " + offset + " (" + range + "), got " + bytes.length), true);
        });
  }

  @Override
  public Future<ObjectInfo> stat(String key) {
    return call(StorageOp.STAT, key, () -> client.headObject(b -> b.bucket(bucket).key(keyPrefix + key)))
        .map(response -> new ObjectInfo(key, response.contentLength()))
        .recover(error -> error instanceof ObjectNotFoundException
            ? requireBucket(StorageOp.STAT, key).compose(v -> Future.failedFuture(error))
            : Future.failedFuture(error));
  }

  @Override
  public Future<List<ObjectInfo>> list(String prefix) {
    try {
      ObjectKeyRules.checkPrefix(prefix);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return listFrom(prefix, null, new ArrayList<>());
  }

  @Override
  public Future<Void> delete(String key) {
    return call(StorageOp.DELETE, key, () -> client.deleteObject(b -> b.bucket(bucket).key(keyPrefix + key)))
        .mapEmpty();
  }

  @Override
  public Future<Boolean> objectLockEnabled() {
    Boolean known = objectLock;
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return call(StorageOp.LOCK_CONFIG, "bucket " + bucket, () -> client.getObjectLockConfiguration(b -> b.bucket(bucket)))
        .map(response -> response.objectLockConfiguration() != null
            && response.objectLockConfiguration().objectLockEnabled() == ObjectLockEnabled.ENABLED)
        .recover(error -> error instanceof NoLockConfigurationException ? Future.succeededFuture(false)
            : Future.failedFuture(error))
        .onSuccess(enabled -> objectLock = enabled);
  }

  @Override
  public Future<Void> put(String key, byte[] data, Retention retention, boolean legalHold) {
    return put(key, data, data.length, retention, legalHold);
  }

  @Override
  public Future<Void> put(String key, byte[] data, int length, Retention retention, boolean legalHold) {
    if (!VaultStorage.isPrefixOf(length, data)) {
      return VaultStorage.super.put(key, data, length, retention, legalHold); // refuses it in one line
    }
    if (retention == null && !legalHold) {
      return call(StorageOp.WRITE, key, () -> client.putObject(
          b -> b.bucket(bucket).key(keyPrefix + key).contentLength((long) length), body(data, length)))
          .mapEmpty();
    }
    // S3 wants Content-MD5 (or a checksum) on every PUT with Object Lock parameters; hashing a pack is CPU work.
    return digestExecutor().executeBlocking(() -> contentMd5(data, length), false)
        .compose(md5 -> call(StorageOp.WRITE, key, () -> client.putObject(
            b -> locked(b.bucket(bucket).key(keyPrefix + key).contentLength((long) length).contentMD5(md5), retention,
                legalHold), body(data, length))))
        .mapEmpty();
  }

  /** {@code request} with the Object Lock retention and legal hold a new object is to have from its first byte. */
  private static void locked(PutObjectRequest.Builder request, Retention retention, boolean legalHold) {
    if (retention != null) {
      request.objectLockMode(ObjectLockMode.fromValue(retention.mode().name()))
          .objectLockRetainUntilDate(retention.retainUntil());
    }
    if (legalHold) {
      request.objectLockLegalHoldStatus(ObjectLockLegalHoldStatus.ON);
    }
  }

  @Override
  public Future<Void> putFile(String key, Path file, long length, Retention retention, boolean legalHold) {
    // Content-MD5 as for put: S3 wants it with Object Lock parameters; here it reads the file once more.
    Future<String> md5 = digestExecutor().executeBlocking(() -> {
      try {
        long size = Files.size(file);
        if (size < length) {
          throw StorageOp.shortFile(key, where, file, size, length);
        }
        return retention == null && !legalHold ? null : contentMd5(file, length);
      } catch (IOException e) {
        throw new VaultStorageException(StorageOp.WRITE.message(key, where, "cannot read " + file + ": " + e), false, e);
      }
    }, false);
    return md5.compose(digest -> call(StorageOp.WRITE, key, () -> client.putObject(
            b -> locked(b.bucket(bucket).key(keyPrefix + key).contentLength(length).contentMD5(digest), retention, legalHold),
            AsyncRequestBody.fromFile(b -> b.path(file).position(0L).numBytesToRead(length)))))
        .mapEmpty();
  }

  /** The request body of {@code data[0, length)}, not copied: the caller keeps the array until the put completes. */
  private static AsyncRequestBody body(byte[] data, int length) {
    return AsyncRequestBody.fromRemainingByteBufferUnsafe(ByteBuffer.wrap(data, 0, length));
  }

  @Override
  public Future<ObjectLockState> lockState(String key) {
    Future<Optional<Retention>> retention = call(StorageOp.LOCK_STATE, key,
        () -> client.getObjectRetention(b -> b.bucket(bucket).key(keyPrefix + key)))
        .map(response -> response.retention() == null || response.retention().retainUntilDate() == null
            ? Optional.<Retention>empty()
            : Optional.of(new Retention(RetentionMode.parse(response.retention().modeAsString()),
                response.retention().retainUntilDate())))
        .recover(error -> error instanceof NoLockConfigurationException
            ? Future.succeededFuture(Optional.empty()) : Future.failedFuture(error));
    return retention.compose(r -> call(StorageOp.LOCK_STATE, key,
            () -> client.getObjectLegalHold(b -> b.bucket(bucket).key(keyPrefix + key)))
        .map(response -> response.legalHold() != null && response.legalHold().status() == ObjectLockLegalHoldStatus.ON)
        .recover(error -> error instanceof NoLockConfigurationException
            ? Future.succeededFuture(false) : Future.failedFuture(error))
        .map(hold -> new ObjectLockState(r, hold)));
  }

  @Override
  public Future<Boolean> extendRetention(String key, Retention wanted) {
    return lockState(key).compose(state -> {
      Optional<Retention> current = state.retention();
      if (current.isPresent() && current.get().covers(wanted)) {
        return Future.succeededFuture(false);
      }
      // COMPLIANCE cannot become GOVERNANCE; a later date is all that may change then.
      RetentionMode mode = current.isPresent() && current.get().mode() == RetentionMode.COMPLIANCE
          ? RetentionMode.COMPLIANCE : wanted.mode();
      Instant until = current.isPresent() && current.get().retainUntil().isAfter(wanted.retainUntil())
          ? current.get().retainUntil() : wanted.retainUntil();
      return call(StorageOp.RETAIN, key, () -> client.putObjectRetention(b -> b.bucket(bucket).key(keyPrefix + key)
          .retention(r -> r.mode(ObjectLockRetentionMode.fromValue(mode.name())).retainUntilDate(until))))
          .map(response -> true);
    });
  }

  @Override
  public Future<Void> setLegalHold(String key, boolean on) {
    return call(StorageOp.HOLD, key, () -> client.putObjectLegalHold(b -> b.bucket(bucket).key(keyPrefix + key)
        .legalHold(h -> h.status(on ? ObjectLockLegalHoldStatus.ON : ObjectLockLegalHoldStatus.OFF))))
        .mapEmpty();
  }

  @Override
  public Future<Void> deleteAllVersions(String key, boolean bypassGovernance) {
    return objectLockEnabled().compose(versioned -> {
      if (!versioned) {
        return delete(key);
      }
      return versionsOf(key, null, null, new ArrayList<>())
          .compose(versions -> deleteVersions(key, versions, 0, bypassGovernance));
    });
  }

  /** Version ids of exactly {@code key} (data versions first, then delete markers), page by page. */
  private Future<List<String>> versionsOf(String key, String keyMarker, String versionMarker, List<String> found) {
    String fullKey = keyPrefix + key;
    return call(StorageOp.DELETE, key, () -> client.listObjectVersions(b -> b.bucket(bucket).prefix(fullKey)
        .keyMarker(keyMarker).versionIdMarker(versionMarker)))
        .compose((ListObjectVersionsResponse page) -> {
          for (ObjectVersion v : page.versions()) {
            if (v.key().equals(fullKey)) {
              found.add(v.versionId());
            }
          }
          for (DeleteMarkerEntry m : page.deleteMarkers()) {
            if (m.key().equals(fullKey)) {
              found.add(m.versionId());
            }
          }
          if (!Boolean.TRUE.equals(page.isTruncated())) {
            return Future.succeededFuture(found);
          }
          return versionsOf(key, page.nextKeyMarker(), page.nextVersionIdMarker(), found);
        });
  }

  /** One version after another: the first one Object Lock protects stops the delete with its reason. */
  private Future<Void> deleteVersions(String key, List<String> versions, int next, boolean bypassGovernance) {
    if (next == versions.size()) {
      return Future.succeededFuture();
    }
    String version = versions.get(next);
    return call(StorageOp.DELETE, key, () -> client.deleteObject(b -> b.bucket(bucket).key(keyPrefix + key)
        .versionId(version).bypassGovernanceRetention(bypassGovernance ? Boolean.TRUE : null)))
        .compose(v -> deleteVersions(key, versions, next + 1, bypassGovernance));
  }

  @Override
  public Future<Map<String, String>> storageClasses(String prefix) {
    try {
      ObjectKeyRules.checkPrefix(prefix);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return classesFrom(prefix, null, new HashMap<>());
  }

  private Future<Map<String, String>> classesFrom(String prefix, String token, Map<String, String> found) {
    String target = StorageOp.listTarget(prefix);
    return call(StorageOp.LIST, target, () -> client.listObjectsV2(
        b -> b.bucket(bucket).prefix(keyPrefix + prefix).continuationToken(token)))
        .compose((ListObjectsV2Response page) -> {
          for (S3Object object : page.contents()) {
            String storageClass = object.storageClassAsString();
            found.put(object.key().substring(keyPrefix.length()),
                storageClass == null || storageClass.isEmpty() ? ArchiveState.STANDARD : storageClass);
          }
          if (!Boolean.TRUE.equals(page.isTruncated()) || page.nextContinuationToken() == null) {
            return Future.succeededFuture(found);
          }
          return classesFrom(prefix, page.nextContinuationToken(), found);
        });
  }

  /**
   * A copy of the object onto itself into {@code storageClass}: S3's only request that changes the class of an
   * object (a bucket lifecycle rule does it on its own schedule). In a bucket with Object Lock the copy is a new
   * version and is written with the retention and legal hold the object has, so it is protected from its first
   * byte; the version it replaces loses its legal hold (S3 holds per version and a release reaches only the current
   * one) and stays until its own retention ends (Object Lock forbids deleting it sooner), after which gc removes it
   * with the object; one whose retention has passed is deleted at once. In a versioned bucket without a lock the
   * replaced version is deleted.
   */
  @Override
  public Future<Void> changeStorageClass(String key, String storageClass) {
    StorageClass wanted = StorageClass.fromValue(storageClass);
    if (wanted == StorageClass.UNKNOWN_TO_SDK_VERSION && !storageClass.matches("[A-Z][A-Z0-9_]{0,31}")) {
      return Future.failedFuture(new IllegalArgumentException("cannot move " + key + " in " + where
          + " to storage class '" + storageClass + "': not a storage class name (STANDARD, GLACIER_IR, DEEP_ARCHIVE, COLD...)"));
    }
    String fullKey = keyPrefix + key;
    return call(StorageOp.STORAGE_CLASS, key, () -> client.headObject(b -> b.bucket(bucket).key(fullKey)))
        .compose(head -> {
          String current = head.storageClassAsString() == null ? ArchiveState.STANDARD : head.storageClassAsString();
          if (current.equals(storageClass)) {
            return Future.succeededFuture();
          }
          Optional<Retention> retention = Optional.ofNullable(head.objectLockRetainUntilDate())
              .filter(until -> until.isAfter(Instant.now().plusSeconds(1)) && head.objectLockMode() != null)
              .map(until -> new Retention(RetentionMode.parse(head.objectLockModeAsString()), until));
          boolean hold = head.objectLockLegalHoldStatus() == ObjectLockLegalHoldStatus.ON;
          String sourceVersion = head.versionId();
          return call(StorageOp.STORAGE_CLASS, key, () -> client.copyObject(b -> {
            b.sourceBucket(bucket).sourceKey(fullKey).sourceVersionId(sourceVersion)
                .destinationBucket(bucket).destinationKey(fullKey)
                .storageClass(storageClass).metadataDirective(MetadataDirective.COPY);
            retention.ifPresent(r -> b.objectLockMode(ObjectLockMode.fromValue(r.mode().name()))
                .objectLockRetainUntilDate(r.retainUntil()));
            if (hold) {
              b.objectLockLegalHoldStatus(ObjectLockLegalHoldStatus.ON);
            }
          })).recover(error -> Future.failedFuture(error instanceof VaultStorageException v && !v.isRetryable()
              && error.getClass() == VaultStorageException.class
              ? new VaultStorageException(v.getMessage() + "; the storage class asked for was " + storageClass, false, v)
              : error))
              .compose(copied -> sourceVersion == null || sourceVersion.equals(copied.versionId())
              || "null".equals(sourceVersion)
              ? Future.<Void>succeededFuture()
              // S3 holds per version, and a release reaches only the current one: the hold moves to the copy.
              : (hold ? call(StorageOp.HOLD, key, () -> client.putObjectLegalHold(r -> r.bucket(bucket).key(fullKey)
                      .versionId(sourceVersion).legalHold(h -> h.status(ObjectLockLegalHoldStatus.OFF)))).<Void>mapEmpty()
                  : Future.<Void>succeededFuture())
                  .compose(v -> dropReplacedVersion(key, fullKey, sourceVersion)));
        });
  }

  /** Deletes the version a class change replaced, unless Object Lock keeps it (then it goes with the object). */
  private Future<Void> dropReplacedVersion(String key, String fullKey, String version) {
    return call(StorageOp.STORAGE_CLASS, key, () -> client.deleteObject(b -> b.bucket(bucket).key(fullKey).versionId(version)))
        .<Void>mapEmpty()
        .recover(error -> error instanceof ObjectLockedException ? Future.succeededFuture() : Future.failedFuture(error));
  }

  @Override
  public Future<ArchiveState> archiveState(String key) {
    return call(StorageOp.STAT, key, () -> client.headObject(b -> b.bucket(bucket).key(keyPrefix + key)))
        .map(head -> {
          String storageClass = head.storageClassAsString() == null ? ArchiveState.STANDARD : head.storageClassAsString();
          if (!ArchiveState.archiveClass(storageClass)) {
            return ArchiveState.online(storageClass);
          }
          return parseRestore(storageClass, head.restore());
        });
  }

  /** {@code x-amz-restore: ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"}. */
  static ArchiveState parseRestore(String storageClass, String header) {
    if (header == null || header.isBlank()) {
      return new ArchiveState(storageClass, true, false, null);
    }
    boolean ongoing = header.replace(" ", "").contains("ongoing-request=\"true\"");
    Instant until = null;
    int at = header.indexOf("expiry-date=\"");
    if (at >= 0) {
      int end = header.indexOf('"', at + 13);
      if (end > at) {
        try {
          until = java.time.ZonedDateTime.parse(header.substring(at + 13, end),
              java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
          until = null;
        }
      }
    }
    return new ArchiveState(storageClass, true, ongoing, ongoing ? null : until);
  }

  @Override
  public Future<Void> requestRestore(String key, int days) {
    return call(StorageOp.RESTORE, key, () -> client.restoreObject(b -> b.bucket(bucket).key(keyPrefix + key)
        .restoreRequest(r -> r.days(days))))
        .<Void>mapEmpty()
        .recover(error -> {
          // 409 RestoreAlreadyInProgress: someone asked first, which is all this asks for.
          if (error instanceof VaultStorageException v && v.getCause() instanceof AwsServiceException s
              && (s.statusCode() == 409 || "RestoreAlreadyInProgress".equals(code(s)))) {
            return Future.succeededFuture();
          }
          return Future.failedFuture(error);
        });
  }

  private static String code(AwsServiceException s) {
    return s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
  }

  private WorkerExecutor digestExecutor() {
    WorkerExecutor executor = digests;
    if (executor == null) {
      synchronized (this) {
        if (digests == null) {
          digests = vertx.createSharedWorkerExecutor("vault-s3-digest", Math.max(1, Runtime.getRuntime().availableProcessors()));
        }
        executor = digests;
      }
    }
    return executor;
  }

  private static String contentMd5(Path file, long length) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md5 = MessageDigest.getInstance("MD5");
      byte[] buffer = new byte[1 << 16];
      for (long left = length; left > 0; ) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new IOException("file " + file + " ended while hashing it");
        }
        md5.update(buffer, 0, n);
        left -= n;
      }
      return Base64.getEncoder().encodeToString(md5.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
  }

  private static String contentMd5(byte[] data, int length) {
    try {
      MessageDigest md5 = MessageDigest.getInstance("MD5");
      md5.update(data, 0, length);
      return Base64.getEncoder().encodeToString(md5.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
  }

  @Override
  public String describe() {
    return where;
  }

  /** The S3 endpoint, for messages: {@code http://127.0.0.1:9000} or {@code https://s3.eu-west-1.amazonaws.com}. */
  public String endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    client.close();
    WorkerExecutor executor = digests;
    if (executor != null) {
      executor.close();
    }
  }

  @Override
  public String toString() {
    return "S3VaultStorage[" + where + " at " + endpoint + "]";
  }

  /** One page after another, each answered on the caller's context; S3 pages hold at most 1000 keys. */
  private Future<List<ObjectInfo>> listFrom(String prefix, String token, List<ObjectInfo> found) {
    String target = StorageOp.listTarget(prefix);
    return call(StorageOp.LIST, target, () -> client.listObjectsV2(
        b -> b.bucket(bucket).prefix(keyPrefix + prefix).continuationToken(token)))
        .compose((ListObjectsV2Response page) -> {
          for (S3Object object : page.contents()) {
            found.add(new ObjectInfo(object.key().substring(keyPrefix.length()), object.size()));
          }
          if (!Boolean.TRUE.equals(page.isTruncated())) {
            return Future.succeededFuture(found);
          }
          if (page.nextContinuationToken() == null) {
            return Future.failedFuture(new VaultStorageException(StorageOp.LIST.message(target, where,
                endpoint + " said the listing goes on but gave no continuation token"), false));
          }
          return listFrom(prefix, page.nextContinuationToken(), found);
        });
  }

  /** A HEAD answers 404 without a body for a missing bucket too: ask the bucket to tell the two apart. */
  private Future<Void> requireBucket(StorageOp op, String key) {
    return Future.fromCompletionStage(client.headBucket(b -> b.bucket(bucket)), vertx.getOrCreateContext())
        .<Void>mapEmpty()
        .recover(error -> {
          Throwable cause = unwrap(error);
          if (cause instanceof AwsServiceException s && s.statusCode() == 404) {
            return Future.failedFuture(bucketMissing(op, key, s));
          }
          return Future.failedFuture(failure(op, key, cause));
        });
  }

  /** Validates the key, sends the request and brings the answer back on the caller's context. */
  private <T> Future<T> call(StorageOp op, String what, Supplier<CompletableFuture<T>> request) {
    if (op != StorageOp.LIST && op != StorageOp.LOCK_CONFIG) {
      try {
        ObjectKeyRules.checkKey(what);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
    }
    Context context = vertx.getOrCreateContext();
    CompletableFuture<T> response;
    try {
      response = request.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(failure(op, what, e));
    }
    return Future.fromCompletionStage(response, context)
        .recover(error -> Future.failedFuture(failure(op, what, error)));
  }

  /** Sorts an SDK failure into not-found, unavailable (operator must act), retryable or not. */
  private Throwable failure(StorageOp op, String what, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof VaultStorageException || cause instanceof IllegalArgumentException) {
      return cause;
    }
    if (cause instanceof AwsServiceException s) {
      AwsErrorDetails details = s.awsErrorDetails();
      String code = details == null ? null : details.errorCode();
      int status = s.statusCode();
      if ("NoSuchBucket".equals(code)) {
        return bucketMissing(op, what, s);
      }
      if ("ObjectLockConfigurationNotFoundError".equals(code) || "NoSuchObjectLockConfiguration".equals(code)
          || (op == StorageOp.LOCK_CONFIG && (status == 501 || "NotImplemented".equals(code)))) {
        return new NoLockConfigurationException(op.message(what, where, detail(s)), s);
      }
      if ("InvalidObjectState".equals(code) && op == StorageOp.READ) {
        return new ArchivedObjectException(op.message(what, where, "the object is in an archive storage class and"
            + " no restore has made it readable (" + detail(s) + ")"), s);
      }
      if (status == 403 && lockRefusal(details == null ? null : details.errorMessage())) {
        return new ObjectLockedException(op.message(what, where, "protected by Object Lock: " + detail(s)), s);
      }
      if ("NoSuchKey".equals(code) || (status == 404 && op != StorageOp.LIST)) {
        return new ObjectNotFoundException(what, where);
      }
      if (status == 401 || status == 403 || CREDENTIAL_CODES.contains(code)) {
        return new StorageUnavailableException(op.message(what, where,
            "credentials refused by " + endpoint + " for bucket " + bucket + ": " + detail(s)), s);
      }
      if (status == 416 || "InvalidRange".equals(code)) {
        return new VaultStorageException(op.message(what, where, "the range lies past the end of the object"),
            false, s);
      }
      boolean retryable = status >= 500 || status == 429 || status == 408 || RETRYABLE_CODES.contains(code);
      return new VaultStorageException(op.message(what, where, detail(s)), retryable, s);
    }
    if (cause instanceof SdkClientException c && c.getMessage() != null
        && c.getMessage().startsWith("Unable to load credentials")) {
      return new StorageUnavailableException(op.message(what, where,
          "no credentials for " + endpoint + " (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile): "
              + c.getMessage()), c);
    }
    boolean transport = cause instanceof ApiCallTimeoutException || cause instanceof ApiCallAttemptTimeoutException
        || causedBy(cause, IOException.class) || causedBy(cause, TimeoutException.class);
    String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return new VaultStorageException(op.message(what, where, detail + (transport ? " (" + endpoint + ")" : "")),
        transport, cause);
  }

  /**
   * S3 answers a delete, overwrite or shortening that Object Lock forbids with 403 AccessDenied, like refused
   * credentials; only the message tells them apart (RGW: "forbidden by object lock", "shortens an existing
   * retention period"; AWS: "...protected by object lock").
   */
  private static boolean lockRefusal(String message) {
    if (message == null) {
      return false;
    }
    String m = message.toLowerCase(Locale.ROOT);
    return m.contains("object lock") || m.contains("retention") || m.contains("legal hold");
  }

  /** The bucket or object has no Object Lock configuration (or the server knows no Object Lock at all). */
  private static final class NoLockConfigurationException extends VaultStorageException {
    NoLockConfigurationException(String message, Throwable cause) {
      super(message, false, cause);
    }
  }

  private StorageUnavailableException bucketMissing(StorageOp op, String what, Throwable cause) {
    return new StorageUnavailableException(op.message(what, where,
        "bucket " + bucket + " does not exist at " + endpoint), cause);
  }

  private VaultStorageException pastEnd(String key, long offset, int length, long size) {
    return new VaultStorageException(StorageOp.READ.message(key, where,
        StorageOp.rangePastEnd(offset, length, size)), false);
  }

  private static String detail(AwsServiceException s) {
    AwsErrorDetails details = s.awsErrorDetails();
    String code = details == null ? null : details.errorCode();
    String message = details == null ? null : details.errorMessage();
    StringBuilder text = new StringBuilder();
    if (code != null) {
      text.append(code);
    }
    if (message != null && !message.isBlank()) {
      text.append(text.length() > 0 ? ": " : "").append(message);
    }
    text.append(text.length() > 0 ? " " : "").append("(HTTP ").append(s.statusCode()).append(')');
    return text.toString();
  }

  /** The total in "bytes 0-9/10", or -1. */
  private static long totalSize(String contentRange) {
    if (contentRange == null) {
      return -1;
    }
    int slash = contentRange.lastIndexOf('/');
    try {
      return slash < 0 ? -1 : Long.parseLong(contentRange.substring(slash + 1).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String trimSlashes(String prefix) {
    int start = 0;
    int end = prefix.length();
    while (start < end && prefix.charAt(start) == '/') {
      start++;
    }
    while (end > start && prefix.charAt(end - 1) == '/') {
      end--;
    }
    return prefix.substring(start, end);
  }
}
