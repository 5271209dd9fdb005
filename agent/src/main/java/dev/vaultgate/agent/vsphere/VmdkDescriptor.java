package dev.vaultgate.agent.vsphere;

/** The text descriptor ESXi writes next to a flat (thick) disk's extent. */
public final class VmdkDescriptor {
  private VmdkDescriptor() {
  }

  /**
   * A descriptor for a monolithic flat disk of {@code capacityBytes} whose data is the file {@code extentFileName}
   * in the same directory.
   *
   * @param adapterType lsilogic, buslogic, ide or pvscsi (ESXi's ddb.adapterType)
   */
  public static String flat(long capacityBytes, String extentFileName, String adapterType) {
    long sectors = capacityBytes / 512;
    long cylinders = Math.max(1, sectors / (255 * 63));
    return "# Disk DescriptorFile\n"
        + "version=1\n"
        + "encoding=\"UTF-8\"\n"
        + "CID=fffffffe\n"
        + "parentCID=ffffffff\n"
        + "createType=\"vmfs\"\n"
        + "\n"
        + "# Extent description\n"
        + "RW " + sectors + " VMFS \"" + extentFileName + "\"\n"
        + "\n"
        + "# The Disk Data Base\n"
        + "#DDB\n"
        + "\n"
        + "ddb.adapterType = \"" + adapterType + "\"\n"
        + "ddb.geometry.cylinders = \"" + cylinders + "\"\n"
        + "ddb.geometry.heads = \"255\"\n"
        + "ddb.geometry.sectors = \"63\"\n"
        + "ddb.virtualHWVersion = \"11\"\n";
  }
}
