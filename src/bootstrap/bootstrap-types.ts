/**
 * Magistrala's config state: 1 = active (its client is connected to its channels), 0 = inactive
 * (disconnected). It does not decide delivery: `held` does (docs/adr/0008-bootstrap.md).
 */
export const configStates = [0, 1] as const;
export type ConfigState = (typeof configStates)[number];

/** How `content` is delivered: verbatim, or as a template (bootstrap-template.ts). */
export const templateModes = ['none', 'text', 'json'] as const;
export type TemplateMode = (typeof templateModes)[number];

export interface Channel {
  id: string;
  tenantId: string;
  name: string;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** A channel as a config lists it; `active` = the config's client is connected to it. */
export interface ConfigChannel {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
  active: boolean;
}

/** A bootstrap config without its secrets: what management routes may show. */
export interface BootstrapConfig {
  /** The config id, which is also the Magistrala client id. */
  id: string;
  tenantId: string;
  externalId: string;
  name: string | null;
  content: string | null;
  contentTemplate: TemplateMode;
  clientCert: string | null;
  caCert: string | null;
  hasClientKey: boolean;
  state: ConfigState;
  /** Gatehouse's own switch: a held config is refused like an unknown external id. */
  held: boolean;
  deviceId: string | null;
  channels: ConfigChannel[];
  createdAt: number;
  updatedAt: number;
}

/** The sealed and hashed secrets of a config, as stored. */
export interface SealedSecrets {
  externalKeyHash: string;
  externalKeySealed: string;
  clientSecretHash: string;
  clientSecretSealed: string;
  clientKeySealed: string | null;
}

export interface ConfigRecord {
  config: Omit<BootstrapConfig, 'channels'>;
  secrets: SealedSecrets;
}

/** A channel as a device receives it. */
export interface DeliveredChannel {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
}

/** A config as the device paths read it: with its channels (by name), read in the same statement. */
export interface DeliverableRecord extends ConfigRecord {
  channels: DeliveredChannel[];
}

/**
 * What a device receives: Magistrala's bootstrap response
 * (docs/compat/magistrala-bootstrap.md#bootstrap-response).
 */
export interface Delivery {
  clientId: string;
  clientSecret: string;
  channels: DeliveredChannel[];
  content: string | null;
  clientCert: string | null;
  clientKey: string | null;
  caCert: string | null;
}

/** How a device asked: Magistrala plain or secure mode, v2, or its Mender device token. */
export type FetchMode = 'plain' | 'secure' | 'v2' | 'device_token';

export const MAX_EXTERNAL_ID_LENGTH = 256;
export const MAX_EXTERNAL_KEY_LENGTH = 1024;
export const MAX_NAME_LENGTH = 256;
export const MAX_CONTENT_LENGTH = 64 * 1024;
export const MAX_PEM_LENGTH = 64 * 1024;
export const MAX_SECRET_LENGTH = 256;
export const MAX_CHANNELS_PER_CONFIG = 100;
export const MAX_LIST_LIMIT = 100;

/** Whether a device of the tenant exists (the devauth domain offers it): configs link to devices. */
export interface DeviceDirectory {
  exists(tenantId: string, deviceId: string): Promise<boolean>;
}
