package dev.vaultgate.appliance.volumes;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CommandsTest {
  /** What Debian's lvcreate 2.03.16 printed here for a snapshot on a kernel without device-mapper (RealLvmTest). */
  static final String LVCREATE_WITHOUT_DM = """
      File descriptor 10 (/dev/null) leaked on lvcreate invocation. Parent PID 15284: bash
        /dev/mapper/control: open failed: No such device
        Failure to communicate with kernel device-mapper driver.
        Check that device-mapper is available in the kernel.
        Incompatible libdevmapper 1.02.185 (2022-05-18) and kernel driver (unknown version).
        /sbin/modprobe: execvp failed: No such file or directory
        /sbin/modprobe failed: 2
        snapshot: Required device-mapper target(s) not detected in your kernel.
        Run `lvcreate --help' for more information.
      """;

  @Test
  void reasonIsLvmsComplaintNotItsHelpHint() {
    assertEquals("snapshot: Required device-mapper target(s) not detected in your kernel.", Commands.reason(LVCREATE_WITHOUT_DM));
  }

  @Test
  void reasonSkipsWarningsAndDescriptorLeakNotices() {
    assertEquals("Volume group \"vg0\" has insufficient free space (0 extents): 2 required.", Commands.reason("""
          WARNING: Activation disabled. No device-mapper interaction will be attempted.
          Volume group "vg0" has insufficient free space (0 extents): 2 required.
          WARNING: something after it
        File descriptor 251 (pipe:[2792622]) leaked on lvcreate invocation. Parent PID 1: java
        """));
  }

  @Test
  void reasonOfOnlyNoiseIsItsLastLineAndOfNothingIsEmpty() {
    assertEquals("WARNING: b", Commands.reason("  WARNING: a\n  WARNING: b\n"));
    assertEquals("", Commands.reason("\n  \n"));
  }

  @Test
  void failedCommandSaysWhichExitAndWhy() {
    IOException e = assertThrows(IOException.class,
        () -> Commands.run(List.of("sh", "-c", "echo 'it broke' >&2; echo \"Run \\`sh --help' for more information.\" >&2; exit 3"), 10));
    assertEquals("sh failed (exit 3): it broke", e.getMessage());
  }
}
