package dev.vaultgate.agent.vsphere;

/** No VM of that name or reference in vCenter. */
public class VmNotFoundException extends VsphereException {
  public VmNotFoundException(String message) {
    super(message, false);
  }
}
