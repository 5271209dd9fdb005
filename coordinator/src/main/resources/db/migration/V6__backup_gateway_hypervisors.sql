-- The backup-gateway API. A gateway (registered through the agent API, or created by
-- CreateGateway from an activation) is associated with at most one hypervisor; it keeps the
-- maintenance start time and the bandwidth rate-limit schedule as the API stored them (AWS
-- member names), for the gateway to read from its heartbeat.
ALTER TABLE gateways
  ADD COLUMN hypervisor_id                   text,
  ADD COLUMN maintenance_start_time          jsonb,
  ADD COLUMN bandwidth_rate_limit_intervals  jsonb NOT NULL DEFAULT '[]';

-- Hypervisors (vCenter or ESXi hosts). The password is sealed with AES-GCM under the
-- coordinator's master key (nonce || ciphertext, the ARN as associated data). state is what the
-- associated gateway last reported (PENDING until it does); OFFLINE is derived when that gateway
-- stops heartbeating. sync_requested: a StartVirtualMachinesMetadataSync not yet handed to a gateway.
CREATE TABLE hypervisors (
  hypervisor_id        text PRIMARY KEY,
  account_id           text NOT NULL REFERENCES accounts,
  arn                  text NOT NULL UNIQUE,
  name                 text NOT NULL,
  host                 text NOT NULL,
  username             text,
  password_sealed      bytea,
  kms_key_arn          text,
  log_group_arn        text,
  state                text NOT NULL DEFAULT 'PENDING',
  state_message        text,
  state_reported_at    timestamptz,
  sync_status          text,
  sync_message         text,
  sync_requested       boolean NOT NULL DEFAULT false,
  last_synced_at       timestamptz,
  tag_mappings         jsonb NOT NULL DEFAULT '[]',
  mappings_role_arn    text,
  created_at           timestamptz NOT NULL
);
CREATE INDEX hypervisors_account ON hypervisors (account_id, created_at);

-- TestHypervisorConfiguration: handed to the gateway once (delivered_at), answered by it (ok,
-- message); the API call waits for the answer on timers, on whichever replica it arrived.
CREATE TABLE hypervisor_tests (
  test_id          text PRIMARY KEY,
  account_id       text NOT NULL REFERENCES accounts,
  gateway_id       text NOT NULL REFERENCES gateways ON DELETE CASCADE,
  host             text NOT NULL,
  username         text,
  password_sealed  bytea,
  created_at       timestamptz NOT NULL,
  delivered_at     timestamptz,
  answered_at      timestamptz,
  ok               boolean,
  message          text
);
CREATE INDEX hypervisor_tests_pending ON hypervisor_tests (gateway_id) WHERE delivered_at IS NULL;

-- VMware details gateways report with their inventory: what ListVirtualMachines and
-- GetVirtualMachine answer, and the VMware tags that PutHypervisorPropertyMappings maps to AWS tags.
ALTER TABLE inventory
  ADD COLUMN hypervisor_arn      text,
  ADD COLUMN host_name           text,
  ADD COLUMN path                text,
  ADD COLUMN vmware_tags         jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN metadata_synced_at  timestamptz;
CREATE INDEX inventory_hypervisor ON inventory (account_id, hypervisor_arn);

-- Activations: an appliance asks for a key (no credentials), an administrator calls CreateGateway
-- with it, the appliance claims its gateway with the poll token. Single use, and they expire.
CREATE TABLE gateway_activations (
  activation_key     text PRIMARY KEY,
  poll_token_sha256  text NOT NULL UNIQUE,
  name               text NOT NULL,
  created_at         timestamptz NOT NULL,
  expires_at         timestamptz NOT NULL,
  gateway_id         text REFERENCES gateways ON DELETE CASCADE,
  used_at            timestamptz,
  claimed_at         timestamptz
);
