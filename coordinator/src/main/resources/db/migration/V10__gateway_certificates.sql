-- Gateways that join with a certificate request: the request waits with its activation until the
-- claim signs it; the gateway keeps its certificate's serial (hex) and is known by it on the
-- mutual-TLS listener. A deleted gateway's serial stays revoked: the listener's CRL lists it.
ALTER TABLE gateway_activations ADD COLUMN certificate_request text;
ALTER TABLE gateways ADD COLUMN certificate_serial text UNIQUE;
CREATE TABLE revoked_gateway_certificates (
  serial      text PRIMARY KEY,
  revoked_at  timestamptz NOT NULL
);
