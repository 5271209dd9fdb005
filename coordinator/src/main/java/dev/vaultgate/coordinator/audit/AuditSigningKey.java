package dev.vaultgate.coordinator.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * The coordinator's Ed25519 key that signs activity-log digests (the JDK's own provider). The
 * private key is a PKCS#8 PEM file (mode 0600) in the data directory, made on first use; the public
 * key is exported beside it as an X.509 PEM file that auditors keep and hand to the verifier.
 * Blocking file I/O: load at start, off the event loop.
 */
public final class AuditSigningKey {

  public static final String ALGORITHM = "Ed25519";
  public static final String PRIVATE_FILE = "audit-signing-key.pem";
  public static final String PUBLIC_FILE = "audit-signing-key.pub.pem";

  private final PrivateKey privateKey;
  private final PublicKey publicKey;

  private AuditSigningKey(PrivateKey privateKey, PublicKey publicKey) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** Reads the key from {@code dir}, or makes one there (and its public PEM) when there is none. */
  public static AuditSigningKey loadOrCreate(Path dir) {
    Path priv = dir.resolve(PRIVATE_FILE);
    Path pub = dir.resolve(PUBLIC_FILE);
    try {
      KeyFactory kf = KeyFactory.getInstance(ALGORITHM);
      if (Files.exists(priv)) {
        PrivateKey p = kf.generatePrivate(new PKCS8EncodedKeySpec(pem(Files.readString(priv), priv)));
        PublicKey q = kf.generatePublic(new X509EncodedKeySpec(pem(Files.readString(pub), pub)));
        return new AuditSigningKey(p, q);
      }
      KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
      Files.createDirectories(dir);
      Path tmp = dir.resolve(PRIVATE_FILE + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, toPem("PRIVATE KEY", pair.getPrivate().getEncoded()));
      Files.writeString(pub, toPem("PUBLIC KEY", pair.getPublic().getEncoded()));
      Files.move(tmp, priv);
      return new AuditSigningKey(pair.getPrivate(), pair.getPublic());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the audit signing key in " + dir, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("audit signing key in " + dir + " is not an Ed25519 key: " + e.getMessage(), e);
    }
  }

  /** A public key from an X.509 PEM file, as the verifier takes it. */
  public static String publicKeyFromPem(Path file) {
    try {
      byte[] der = pem(Files.readString(file), file);
      KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
      return Base64.getEncoder().encodeToString(der);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read public key " + file, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("public key " + file + " is not an Ed25519 public key");
    }
  }

  /** The public key, base64 of its X.509 (SubjectPublicKeyInfo) encoding. */
  public String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(publicKey.getEncoded());
  }

  public byte[] sign(byte[] data) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(privateKey);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the audit key", e);
    }
  }

  /** Whether {@code signature} is {@code publicKeyBase64}'s signature of {@code data}. */
  public static boolean verify(String publicKeyBase64, byte[] data, byte[] signature) {
    try {
      PublicKey key = KeyFactory.getInstance(ALGORITHM)
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(publicKeyBase64)));
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(data);
      return s.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] pem(String text, Path file) {
    String body = text.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
    try {
      return Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + " is not a PEM file");
    }
  }

  private static String toPem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }
}
