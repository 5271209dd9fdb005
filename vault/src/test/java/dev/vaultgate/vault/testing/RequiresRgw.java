package dev.vaultgate.vault.testing;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class that runs against Ceph RGW ({@link TestRgw}): tagged {@code rgw}, so a quick local run can
 * leave it out with {@code -DexcludedGroups=rgw}; {@code mvn verify} and scripts/test run it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("rgw")
public @interface RequiresRgw {
}
