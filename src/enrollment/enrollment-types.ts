/** Where a device's registration id (its identity value) is read from its certificate. */
export const identitySources = ['cn', 'subject', 'serial', 'fingerprint'] as const;
export type IdentitySource = (typeof identitySources)[number];

export const contentTemplateModes = ['none', 'text', 'json'] as const;
export type ContentTemplateMode = (typeof contentTemplateModes)[number];

/** The bootstrap config an admitted device gets (created and linked to it at admission). */
export interface BootstrapTemplate {
  content: string;
  contentTemplate: ContentTemplateMode;
  channels: string[];
  /** Whether the created config's client is connected to its channels (Magistrala state 1). */
  active: boolean;
  /** Whether the created config is held (delivers nothing); null = the tenant's default. */
  held: boolean | null;
}

/**
 * Enrollment group (DPS enrollment group): the CA its devices' certificates chain to, how their
 * identity is derived, and what an admitted device gets.
 */
export interface EnrollmentGroup {
  id: string;
  tenantId: string;
  name: string;
  caId: string;
  enabled: boolean;
  identityAttribute: string;
  identitySource: IdentitySource;
  inventoryGroup: string | null;
  tags: Record<string, string>;
  bootstrap: BootstrapTemplate | null;
  allocationWebhookId: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * Individual enrollment: one registration id. Disabled = refused; `groupId` pins it to one
 * group (its CA); `certificateFingerprint` pins it to one certificate; group and tags override
 * the group's.
 */
export interface IndividualEnrollment {
  id: string;
  tenantId: string;
  registrationId: string;
  groupId: string | null;
  enabled: boolean;
  certificateFingerprint: string | null;
  inventoryGroup: string | null;
  tags: Record<string, string> | null;
  createdAt: number;
  updatedAt: number;
}

/** Which enrollment admitted a device, with which certificate (DPS registration record). */
export interface Registration {
  deviceId: string;
  tenantId: string;
  registrationId: string;
  caId: string;
  groupId: string | null;
  individualId: string | null;
  certSubject: string;
  certSerial: string;
  certFingerprint: string;
  certNotAfter: number;
  createdAt: number;
  updatedAt: number;
}

/** Identity derivation when a verified CA has no enrollment group. */
export const DEFAULT_IDENTITY_ATTRIBUTE = 'DeviceId';
export const DEFAULT_IDENTITY_SOURCE: IdentitySource = 'cn';
