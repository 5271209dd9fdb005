package dev.vaultgate.agent.vsphere;

/** vCenter presented a certificate whose thumbprint is not the pinned one. */
public class VcenterCertificateException extends VsphereException {
  private final String presented;
  private final String pinned;

  public VcenterCertificateException(String message, String presented, String pinned, Throwable cause) {
    super(message, false, cause);
    this.presented = presented;
    this.pinned = pinned;
  }

  /** The SHA-256 thumbprint vCenter presented, AB:CD:... */
  public String presentedThumbprint() {
    return presented;
  }

  /** The SHA-256 thumbprint that was expected, AB:CD:... */
  public String pinnedThumbprint() {
    return pinned;
  }
}
