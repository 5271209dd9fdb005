/**
 * The gateway's identity and its TLS: its key pair and PKCS#10 certificate request (BouncyCastle, as the JDK has
 * no public CSR API), the client options of the mutual-TLS link to the coordinator, and the web UI's server options.
 */
package dev.vaultgate.appliance.tls;
