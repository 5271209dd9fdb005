package dev.vaultgate.vault.crypto;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.utils.ThreadFactoryBuilder;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsAsyncClientBuilder;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;

/**
 * Wraps the vault's key material with a KMS key through the AWS KMS API (Encrypt and Decrypt of the SDK's async
 * {@code kms} client), against any endpoint: the coordinator's KMS API, or AWS KMS itself by changing the endpoint.
 * The wrapped key is the KMS ciphertext blob; the encryption context {@value #CONTEXT_KEY}={@value #CONTEXT_VALUE}
 * binds it to this use. Calls block (a network round trip): run them on a worker, as {@code Repository} does.
 *
 * <p>A wrapper made with {@link #forKey} knows its key: it checks, before anything is written, that the key exists and
 * is enabled, and records its ARN in the vault config. One made with {@link #forOpening} unwraps any blob the KMS
 * accepts: the blob names its key. A KMS key rotated since the vault was made still unwraps it (KMS keeps old
 * material for decryption).
 */
public final class KmsKeyWrapper implements KeyWrapper, AutoCloseable {

  public static final String CONTEXT_KEY = "vaultgate";
  public static final String CONTEXT_VALUE = "vault key";
  private static final Map<String, String> CONTEXT = Map.of(CONTEXT_KEY, CONTEXT_VALUE);

  /**
   * One Netty event loop for every KMS client of the process, made on first use, daemon, never shut down: a client
   * owning its group waits two seconds for it to go quiet when closed (as S3VaultStorage found), which every
   * command would pay at exit.
   */
  private static final class EventLoops {
    static final SdkEventLoopGroup GROUP = SdkEventLoopGroup.builder().numberOfThreads(1)
        .threadFactory(new ThreadFactoryBuilder().threadNamePrefix("vault-kms").daemonThreads(true).build())
        .build();
  }

  private final KmsAsyncClient client;
  private final boolean ownsClient;
  private final String keyArn;
  private final String where;

  private KmsKeyWrapper(KmsAsyncClient client, boolean ownsClient, String keyArn, String where) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.keyArn = keyArn;
    this.where = where;
  }

  /**
   * A client of the KMS at {@code endpoint} (null: AWS KMS of the region) in {@code region}, with {@code credentials}
   * (null: the SDK's default chain: environment, profile, ...).
   */
  public static KmsAsyncClient client(URI endpoint, String region, AwsCredentialsProvider credentials) {
    KmsAsyncClientBuilder b = KmsAsyncClient.builder()
        .region(Region.of(region))
        .credentialsProvider(credentials != null ? credentials : DefaultCredentialsProvider.builder().build())
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().eventLoopGroup(EventLoops.GROUP));
    if (endpoint != null) b.endpointOverride(endpoint);
    return b.build();
  }

  /**
   * A wrapper for key {@code keyRef} (key id, key ARN, alias/name or alias ARN); fails with a one-line
   * {@link KmsKeyException} when the key is unknown, disabled or pending deletion. Blocking.
   */
  public static KmsKeyWrapper forKey(KmsAsyncClient client, boolean ownsClient, String keyRef, String where) {
    KeyMetadata key;
    try {
      key = call(() -> client.describeKey(b -> b.keyId(keyRef)).join().keyMetadata(), "use", keyRef, where);
    } catch (KmsKeyException e) {
      if (ownsClient) client.close();
      throw e;
    }
    if (key.keyState() != KeyState.ENABLED) {
      if (ownsClient) client.close();
      throw new KmsKeyException("cannot wrap the vault's keys with KMS key " + keyRef + " at " + where + ": the key is "
          + key.keyStateAsString() + (key.deletionDate() != null ? " (to be deleted " + key.deletionDate() + ")" : ""));
    }
    return new KmsKeyWrapper(client, ownsClient, key.arn(), where);
  }

  /** A wrapper that unwraps with whichever key the blob names. */
  public static KmsKeyWrapper forOpening(KmsAsyncClient client, boolean ownsClient, String where) {
    return new KmsKeyWrapper(client, ownsClient, null, where);
  }

  @Override
  public String scheme() {
    return "kms";
  }

  /** The key's ARN; {@code (any)} for a wrapper made to open vaults. */
  @Override
  public String keyId() {
    return keyArn == null ? "(any)" : keyArn;
  }

  @Override
  public byte[] wrap(byte[] keyMaterial) {
    if (keyArn == null) throw new IllegalStateException("a KMS wrapper made for opening vaults names no key to wrap with");
    return call(() -> client.encrypt(b -> b.keyId(keyArn).plaintext(SdkBytes.fromByteArray(keyMaterial))
        .encryptionContext(CONTEXT)).join().ciphertextBlob().asByteArray(), "wrap the vault's keys", keyArn, where);
  }

  /** GenerateDataKey: KMS makes the material and answers it both in the clear and wrapped (as Encrypt would). */
  @Override
  public Generated generate(int bytes) {
    if (keyArn == null) throw new IllegalStateException("a KMS wrapper made for opening vaults names no key to wrap with");
    return call(() -> {
      var answer = client.generateDataKey(b -> b.keyId(keyArn).numberOfBytes(bytes).encryptionContext(CONTEXT)).join();
      return new Generated(answer.plaintext().asByteArray(), answer.ciphertextBlob().asByteArray());
    }, "make the vault's keys", keyArn, where);
  }

  @Override
  public byte[] unwrap(byte[] wrapped) {
    try {
      return call(() -> client.decrypt(b -> {
        b.ciphertextBlob(SdkBytes.fromByteArray(wrapped)).encryptionContext(CONTEXT);
        if (keyArn != null) b.keyId(keyArn);
      }).join().plaintext().asByteArray(), "unwrap the vault's keys", keyId(), where);
    } catch (KmsKeyException e) {
      if (e.getMessage().contains("InvalidCiphertextException") || e.getMessage().contains("IncorrectKeyException")) {
        throw new WrongMasterKeyException(e.getMessage());
      }
      throw e;
    }
  }

  /** Whether this wrapper names a key (made by {@link #forKey}): only such a wrapper wraps, generates and lists rotations. */
  public boolean namesKey() {
    return keyArn != null;
  }

  /**
   * When the key last rotated (ListKeyRotations, every page; its newest RotationDate), or null when it never did.
   * Blocking, as every call of this class.
   */
  public java.time.Instant latestRotation() {
    if (keyArn == null) throw new IllegalStateException("a KMS wrapper made for opening vaults names no key to ask about");
    return call(() -> {
      java.time.Instant latest = null;
      String marker = null;
      do {
        String page = marker;
        var answer = client.listKeyRotations(b -> b.keyId(keyArn).marker(page)).join();
        for (var r : answer.rotations()) {
          if (r.rotationDate() != null && (latest == null || r.rotationDate().isAfter(latest))) latest = r.rotationDate();
        }
        marker = Boolean.TRUE.equals(answer.truncated()) ? answer.nextMarker() : null;
      } while (marker != null);
      return latest;
    }, "list the rotations", keyArn, where);
  }

  /** Runs a KMS call; any failure becomes one line naming the operation, the key, the KMS and KMS's error type. */
  private static <T> T call(java.util.function.Supplier<T> request, String operation, String keyRef, String where) {
    try {
      return request.get();
    } catch (CompletionException | software.amazon.awssdk.core.exception.SdkException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      String why;
      if (cause instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
        why = aws.awsErrorDetails().errorCode() + ": " + aws.awsErrorDetails().errorMessage();
      } else {
        why = cause.getClass().getSimpleName() + ": " + cause.getMessage();
      }
      throw new KmsKeyException("cannot " + operation + " with KMS key " + keyRef + " at " + where + ": "
          + String.valueOf(why).replace('\n', ' '));
    }
  }

  @Override
  public void close() {
    if (ownsClient) client.close();
  }
}
