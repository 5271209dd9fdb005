package dev.vaultgate.agent.vsphere;

/** vCenter refused the user name or password. */
public class VcenterLoginException extends VsphereException {
  public VcenterLoginException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
