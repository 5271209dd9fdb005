package dev.vaultgate.agent.vsphere;

/** A byte range of a virtual disk that QueryChangedDiskAreas reported as changed (or, from "*", in use). */
public record DiskArea(long start, long length) {
}
