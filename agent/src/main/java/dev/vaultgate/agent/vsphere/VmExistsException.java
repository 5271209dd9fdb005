package dev.vaultgate.agent.vsphere;

/** A VM (or its datastore folder) already has the name a restore wants to create. */
public class VmExistsException extends VsphereException {
  public VmExistsException(String message) {
    super(message, false);
  }
}
