/**
 * The generic wire layer: loads an AWS service model (botocore's JSON), maps HTTP requests to
 * its operations, validates them against the model's constraints and writes responses or the
 * AWS error shape. It knows no operation's meaning; handlers own that.
 */
package dev.vaultgate.coordinator.wire;
