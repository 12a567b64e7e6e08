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

export interface EventsTable {
  id: string;
  tenant_id: string;
  type: string;
  device_id: string | null;
  payload: string;
  created_at: Int8;
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

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  user_tokens: UserTokensTable;
  devices: DevicesTable;
  auth_sets: AuthSetsTable;
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
}
