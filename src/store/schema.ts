import type { Selectable } from 'kysely';

/**
 * Row types as Kysely sees them. Integers that PostgreSQL returns as `int8` strings are typed
 * `number | string` here; repositories convert them (see `num()` in store.ts). Flags are integer
 * 0/1 columns on both dialects.
 */
type Int8 = number | string;

export interface TenantsTable {
  id: string;
  name: string;
  max_devices: number;
  tenant_token_id: string;
  created_at: Int8;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  email: string;
  password_hash: string;
  role: string;
  created_at: Int8;
  updated_at: Int8;
  login_at: Int8 | null;
}

/** A tenant's global settings (migration 0015): a JSON object the web UI keeps, with its ETag. */
export interface TenantSettingsTable {
  tenant_id: string;
  body: string;
  etag: string;
  updated_at: Int8;
}

/** A user's own settings (migration 0015). */
export interface UserSettingsTable {
  user_id: string;
  tenant_id: string;
  body: string;
  etag: string;
  updated_at: Int8;
}

/** A release's tags (migration 0015): a release is the artifacts of one name. */
export interface ReleaseTagsTable {
  tenant_id: string;
  release_name: string;
  tag: string;
}

/** A release's notes (migration 0015). */
export interface ReleaseNotesTable {
  tenant_id: string;
  release_name: string;
  notes: string;
  updated_at: Int8;
}

export interface UserTokensTable {
  id: string;
  tenant_id: string;
  user_id: string;
  kind: string;
  name: string | null;
  expires_at: Int8 | null;
  created_at: Int8;
  last_used_at: Int8 | null;
}

export interface DevicesTable {
  id: string;
  tenant_id: string;
  id_data: string;
  id_data_sha256: string;
  status: string;
  created_at: Int8;
  updated_at: Int8;
  check_in_at: Int8 | null;
  /** Set on devices created by a manifest import (migration 0011). */
  import_id: string | null;
  import_line: Int8 | null;
  factory_id: string | null;
}

/**
 * Devices per (tenant, status), kept by triggers on `devices` (migration 0012); the count is the
 * sum of `n` over the slots (PostgreSQL: one per writing backend, see the migration).
 */
export interface DeviceCountsTable {
  tenant_id: string;
  status: string;
  slot: number;
  n: Int8;
}

/** Devices per (tenant, static group, status), kept by triggers (migration 0014); sum over slots. */
export interface GroupCountsTable {
  tenant_id: string;
  /** The group attribute's stored value (JSON text). */
  group_value: string;
  status: string;
  slot: number;
  n: Int8;
}

export interface AuthSetsTable {
  id: string;
  tenant_id: string;
  device_id: string;
  pubkey: string;
  pubkey_sha256: string;
  key_type: string;
  status: string;
  created_at: Int8;
  updated_at: Int8;
}

export interface DeviceTokensTable {
  id: string;
  tenant_id: string;
  device_id: string;
  auth_set_id: string;
  expires_at: Int8;
  created_at: Int8;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key_sealed: string;
  status: string;
  created_at: Int8;
}

export interface FactoriesTable {
  id: string;
  tenant_id: string;
  name: string;
  public_key: string;
  fingerprint: string;
  key_type: string;
  disabled_at: Int8 | null;
  created_at: Int8;
}

export interface DeviceImportsTable {
  id: string;
  tenant_id: string;
  status: string;
  format: string;
  manifest_sha256: string;
  manifest_bytes: Int8;
  lines_total: Int8;
  factory_id: string | null;
  blob_key: string | null;
  done_line: Int8;
  rows_done: Int8;
  created: Int8;
  unchanged: Int8;
  conflicts: Int8;
  invalid: Int8;
  error: string | null;
  lease_owner: string | null;
  lease_until: Int8 | null;
  created_by: string | null;
  created_at: Int8;
  updated_at: Int8;
  finished_at: Int8 | null;
}

export interface DeviceImportProblemsTable {
  import_id: string;
  line: Int8;
  outcome: string;
  reason: string;
  device_id: string | null;
}

export interface EventsTable {
  id: string;
  tenant_id: string;
  type: string;
  device_id: string | null;
  payload: string;
  created_at: Int8;
  /** Set once the webhook fan-out has processed the event (migration 0006). */
  fanned_out_at: Int8 | null;
}

export interface InventoryAttributesTable {
  tenant_id: string;
  device_id: string;
  scope: string;
  name: string;
  value: string;
  description: string | null;
  updated_at: Int8;
}

export interface InventoryDigestsTable {
  device_id: string;
  scope: string;
  digest: string;
  updated_at: Int8;
}

export interface ArtifactsTable {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  device_types: string;
  info: string;
  signed: number;
  updates: string;
  provides: string;
  depends: string;
  clears_provides: string;
  size: Int8;
  blob_key: string;
  created_at: Int8;
  modified_at: Int8;
}

export interface ArtifactDependsKeysTable {
  artifact_id: string;
  tenant_id: string;
  name: string;
  depends_key: string;
  device_type: string;
}

export interface DeploymentsTable {
  id: string;
  tenant_id: string;
  name: string;
  artifact_name: string;
  status: string;
  force_installation: number;
  max_devices: number;
  groups: string;
  constructor_sha256: string;
  created_at: Int8;
  finished_at: Int8 | null;
  /** Bytes of the artifacts handed to its devices (migration 0017; defaults to 0). */
  total_size: import('kysely').ColumnType<Int8, Int8 | undefined, Int8>;
}

export interface DeviceDeploymentsTable {
  deployment_id: string;
  device_id: string;
  tenant_id: string;
  status: string;
  substate: string | null;
  is_active: number;
  artifact_id: string | null;
  provides: string | null;
  created_at: Int8;
  started_at: Int8 | null;
  finished_at: Int8 | null;
  log_available: number;
}

export interface DeploymentLogsTable {
  deployment_id: string;
  device_id: string;
  tenant_id: string;
  messages: string;
  created_at: Int8;
}

export interface BootstrapChannelsTable {
  id: string;
  tenant_id: string;
  name: string;
  metadata: string;
  created_at: Int8;
  updated_at: Int8;
}

export interface BootstrapConfigsTable {
  id: string;
  tenant_id: string;
  external_id: string;
  external_key_hash: string;
  external_key_sealed: string;
  client_secret_hash: string;
  client_secret_sealed: string;
  client_key_sealed: string | null;
  client_cert: string | null;
  ca_cert: string | null;
  name: string | null;
  content: string | null;
  content_template: string;
  state: number;
  /** 1 = the device routes refuse it (migration 0016); independent of `state`. */
  held: number;
  device_id: string | null;
  created_at: Int8;
  updated_at: Int8;
}

/** A tenant's bootstrap settings (migration 0016); no row = the defaults. */
export interface BootstrapSettingsTable {
  tenant_id: string;
  hold_new_configs: number;
  updated_at: Int8;
}

export interface BootstrapConnectionsTable {
  config_id: string;
  channel_id: string;
  tenant_id: string;
  active: number;
  updated_at: Int8;
}

export interface BootstrapChallengesTable {
  id: string;
  tenant_id: string;
  external_id: string;
  config_id: string | null;
  server_nonce: string;
  expires_at: Int8;
  created_at: Int8;
}

/** Failed attempts per key (login, bootstrap): src/limits/failure-guard.ts. */
export interface FailureCountersTable {
  key: string;
  failures: number;
  locks: number;
  locked_until: Int8 | null;
  last_failure_at: Int8;
}

export interface PkiCasTable {
  id: string;
  tenant_id: string;
  kind: string;
  name: string | null;
  cert_pem: string;
  fingerprint: string;
  subject: string;
  subject_hash: string;
  issuer: string;
  serial: string;
  not_before: Int8;
  not_after: Int8;
  status: string;
  enabled: number;
  verification_code: string | null;
  verification_code_expires_at: Int8 | null;
  verified_at: Int8 | null;
  private_key_sealed: string | null;
  cert_validity_days: number | null;
  crl_der: string | null;
  crl_this_update: Int8 | null;
  crl_next_update: Int8 | null;
  created_at: Int8;
  updated_at: Int8;
}

export interface PkiCertificatesTable {
  ca_id: string;
  serial: string;
  tenant_id: string;
  subject: string;
  cn: string | null;
  fingerprint: string;
  cert_pem: string;
  not_before: Int8;
  not_after: Int8;
  issued_via: string;
  credential_id: string | null;
  device_id: string | null;
  replaces_serial: string | null;
  revoked_at: Int8 | null;
  revocation_reason: string | null;
  created_at: Int8;
}

export interface PkiEnrollmentCredentialsTable {
  id: string;
  tenant_id: string;
  name: string;
  secret_hash: string;
  expires_at: Int8 | null;
  max_uses: number | null;
  uses: number;
  created_at: Int8;
  last_used_at: Int8 | null;
}

export interface WebhookSubscriptionsTable {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  /** JSON array of event types or patterns. */
  event_types: string;
  enabled: number;
  secret_sealed: string;
  created_at: Int8;
  updated_at: Int8;
}

export interface WebhookDeliveriesTable {
  id: string;
  tenant_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  device_id: string | null;
  status: string;
  attempts: number;
  budget_attempts: number;
  budget_since: Int8;
  next_attempt_at: Int8;
  lease_owner: string | null;
  lease_until: Int8 | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Int8;
  updated_at: Int8;
  delivered_at: Int8 | null;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  started_at: Int8;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

export interface WebhookFanoutTable {
  id: number;
  ran_at: Int8;
}

export interface AllocationWebhooksTable {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  timeout_ms: number;
  secret_sealed: string;
  created_at: Int8;
  updated_at: Int8;
}

export interface EnrollmentGroupsTable {
  id: string;
  tenant_id: string;
  name: string;
  ca_id: string;
  enabled: number;
  identity_attribute: string;
  identity_source: string;
  inventory_group: string | null;
  tags: string;
  bootstrap: string | null;
  allocation_webhook_id: string | null;
  created_at: Int8;
  updated_at: Int8;
}

export interface EnrollmentIndividualsTable {
  id: string;
  tenant_id: string;
  registration_id: string;
  group_id: string | null;
  enabled: number;
  certificate_fingerprint: string | null;
  inventory_group: string | null;
  tags: string | null;
  created_at: Int8;
  updated_at: Int8;
}

export interface EnrollmentRegistrationsTable {
  device_id: string;
  tenant_id: string;
  registration_id: string;
  ca_id: string;
  group_id: string | null;
  individual_id: string | null;
  cert_subject: string;
  cert_serial: string;
  cert_fingerprint: string;
  cert_not_after: Int8;
  created_at: Int8;
  updated_at: Int8;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  tenant_settings: TenantSettingsTable;
  user_settings: UserSettingsTable;
  release_tags: ReleaseTagsTable;
  release_notes: ReleaseNotesTable;
  user_tokens: UserTokensTable;
  devices: DevicesTable;
  device_counts: DeviceCountsTable;
  group_counts: GroupCountsTable;
  auth_sets: AuthSetsTable;
  factories: FactoriesTable;
  device_imports: DeviceImportsTable;
  device_import_problems: DeviceImportProblemsTable;
  device_tokens: DeviceTokensTable;
  signing_keys: SigningKeysTable;
  events: EventsTable;
  inventory_attributes: InventoryAttributesTable;
  inventory_digests: InventoryDigestsTable;
  artifacts: ArtifactsTable;
  artifact_depends_keys: ArtifactDependsKeysTable;
  deployments: DeploymentsTable;
  device_deployments: DeviceDeploymentsTable;
  deployment_logs: DeploymentLogsTable;
  bootstrap_channels: BootstrapChannelsTable;
  bootstrap_configs: BootstrapConfigsTable;
  bootstrap_connections: BootstrapConnectionsTable;
  bootstrap_settings: BootstrapSettingsTable;
  bootstrap_challenges: BootstrapChallengesTable;
  failure_counters: FailureCountersTable;
  pki_cas: PkiCasTable;
  pki_certificates: PkiCertificatesTable;
  pki_enrollment_credentials: PkiEnrollmentCredentialsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  webhook_fanout: WebhookFanoutTable;
  allocation_webhooks: AllocationWebhooksTable;
  enrollment_groups: EnrollmentGroupsTable;
  enrollment_individuals: EnrollmentIndividualsTable;
  enrollment_registrations: EnrollmentRegistrationsTable;
}

/**
 * A row of table `T` as a query reads it, narrowed to the columns `C` it selects (all by
 * default). Its `Int8` columns stay `number | string`: repositories map them with `num()`.
 */
export type TableRow<
  T extends keyof Database,
  C extends keyof Selectable<Database[T]> = keyof Selectable<Database[T]>,
> = Pick<Selectable<Database[T]>, C>;
