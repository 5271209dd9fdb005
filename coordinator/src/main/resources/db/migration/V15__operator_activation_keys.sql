-- Activation keys an operator issues for an account (scripts/coordinator gateways activation-key, or
-- POST /agent/v1/activation-keys signed by the account's key): a gateway joins with one at
-- POST /agent/v1/join, sending its certificate request. Only the key's SHA-256 is kept; a key makes
-- one gateway, once, before it expires.
CREATE TABLE gateway_activation_keys (
  key_sha256   text PRIMARY KEY,
  account_id   text NOT NULL REFERENCES accounts,
  name         text,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  gateway_id   text REFERENCES gateways ON DELETE SET NULL
);
