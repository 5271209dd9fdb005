/** The appliance's config file: its format, parsed and validated once at start into records. */
package dev.vaultgate.appliance.config;
