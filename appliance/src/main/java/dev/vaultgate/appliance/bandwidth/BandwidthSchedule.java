package dev.vaultgate.appliance.bandwidth;

import dev.vaultgate.appliance.config.ApplianceConfig;

import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.OptionalLong;

/**
 * Which upload limit holds at a moment: the first interval of the schedule whose day and [start, end) contain the
 * moment's local time, else the default; empty means unlimited. Pure: the caller gives the time (in the gateway's
 * zone, as AWS Backup gateway's schedule is).
 */
public final class BandwidthSchedule {
  private final ApplianceConfig.Bandwidth bandwidth;

  public BandwidthSchedule(ApplianceConfig.Bandwidth bandwidth) {
    this.bandwidth = bandwidth;
  }

  public OptionalLong uploadBitsPerSecondAt(ZonedDateTime when) {
    LocalTime t = when.toLocalTime();
    for (ApplianceConfig.Interval i : bandwidth.schedule()) {
      if (i.days().contains(when.getDayOfWeek()) && !t.isBefore(i.start()) && t.isBefore(i.end())) {
        return OptionalLong.of(i.uploadBitsPerSecond());
      }
    }
    return bandwidth.uploadBitsPerSecond().map(OptionalLong::of).orElse(OptionalLong.empty());
  }
}
