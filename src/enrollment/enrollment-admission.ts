import { CACHE_BOUNDS } from '../config/cache-bounds.js';
import type { Clock } from '../core/clock.js';
import { createOncePerWindow } from '../core/once-per-window.js';
import type { CertificateAdmission, CertificateAllocation, CertificateEnrollment } from '../devauth/index.js';
import { recordEvent } from '../events/index.js';
import type { Store } from '../store/store.js';
import { enrollmentErrors } from './enrollment-errors.js';
import { MAX_REGISTRATION_ID_LENGTH } from './enrollment-input.js';
import type { AllocationWebhooks, EnrollmentBootstrap, EnrollmentInventory } from './enrollment-ports.js';
import { findGroupByCa } from './enrollment-repo-groups.js';
import { findIndividualByRegistration } from './enrollment-repo-individuals.js';
import { findRegistration, upsertRegistration } from './enrollment-repo-registrations.js';
import { groupToWire, individualToWire } from './enrollment-schemas.js';
import {
  type BootstrapTemplate,
  DEFAULT_IDENTITY_ATTRIBUTE,
  DEFAULT_IDENTITY_SOURCE,
  type EnrollmentGroup,
  type IndividualEnrollment,
} from './enrollment-types.js';

type Certificate = Parameters<CertificateAdmission['resolve']>[1];

/** Refusals of one registration are recorded at most once per this window (devices retry). */
const REFUSAL_EVENT_WINDOW_MS = 10 * 60_000;

/**
 * Certificate-based admission (ADR 11): the enrollment group of the CA the certificate chains to
 * (or, for a CA without a group, the defaults: identity {"DeviceId": CN}, nothing else), the
 * individual enrollment of the registration id, the allocation webhook, and what the device gets.
 */
export const createCertificateAdmission = (deps: {
  store: Store;
  clock: Clock;
  allocationWebhooks: Pick<AllocationWebhooks, 'allocate'>;
  inventory: EnrollmentInventory;
  bootstrap: Pick<EnrollmentBootstrap, 'provision'>;
}): CertificateAdmission => {
  const { clock } = deps;
  const db = deps.store.db;
  const firstRefusal = createOncePerWindow(REFUSAL_EVENT_WINDOW_MS, CACHE_BOUNDS.enrollmentRefusalKeys);

  const recordRefusal = async (key: string, write: () => Promise<void>) => {
    if (firstRefusal(key, clock.nowMs())) await write();
  };

  /** A `device.enrollment_refused` event, at most once per window for the same refusal. */
  const recordRefused = (r: {
    tenantId: string;
    registrationId: string | null;
    cert: Certificate;
    group: EnrollmentGroup | undefined;
    individual: IndividualEnrollment | undefined;
    reason: string;
  }) =>
    recordRefusal(`${r.tenantId}\n${r.registrationId}\n${r.cert.leaf.fingerprint}\n${r.reason}`, () =>
      recordEvent(db, {
        tenantId: r.tenantId,
        type: 'device.enrollment_refused',
        payload: {
          registration_id: r.registrationId,
          reason: r.reason,
          ca_id: r.cert.caId,
          enrollment_group_id: r.group?.id ?? null,
          individual_enrollment_id: r.individual?.id ?? null,
          certificate: certificateFacts(r.cert),
        },
        nowMs: clock.nowMs(),
      }),
    );

  return {
    async resolve(tenantId, cert) {
      const group = await findGroupByCa(db, tenantId, cert.caId);
      const attribute = group?.identityAttribute ?? DEFAULT_IDENTITY_ATTRIBUTE;
      const source = group?.identitySource ?? DEFAULT_IDENTITY_SOURCE;
      const value = sourceValue(cert, source);
      let individual: IndividualEnrollment | undefined;

      const refuse = async (reason: string): Promise<never> => {
        await recordRefused({ tenantId, registrationId: value, cert, group, individual, reason });
        throw enrollmentErrors.refused(reason);
      };

      if (value === null || value === '') return refuse(`the certificate has no ${source}`);
      // PostgreSQL text cannot hold U+0000; such a certificate is refused, not a 500.
      if (value.includes('\u0000') || cert.leaf.subject.includes('\u0000'))
        return refuse('the certificate subject contains a NUL character');
      if (value.length > MAX_REGISTRATION_ID_LENGTH)
        return refuse(`the certificate's ${source} is longer than ${MAX_REGISTRATION_ID_LENGTH} characters`);
      if (group && !group.enabled) return refuse('the enrollment group is disabled');
      individual = await findIndividualByRegistration(db, tenantId, value);
      if (individual && !individual.enabled) return refuse('the individual enrollment is disabled');
      if (individual?.groupId != null && individual.groupId !== group?.id)
        return refuse('the individual enrollment is pinned to another enrollment group');
      if (
        individual?.certificateFingerprint != null &&
        individual.certificateFingerprint !== cert.leaf.fingerprint
      )
        return refuse('the certificate is not the one the individual enrollment pins');

      const enrollment: CertificateEnrollment = {
        identity: { [attribute]: value },
        registrationId: value,
        refuse,
        allocate: (ctx) =>
          allocation({
            tenantId,
            cert,
            group,
            individual,
            registrationId: value,
            identity: enrollment.identity,
            ...ctx,
          }),
      };
      return enrollment;
    },
  };

  async function allocation(a: {
    tenantId: string;
    cert: Certificate;
    group: EnrollmentGroup | undefined;
    individual: IndividualEnrollment | undefined;
    registrationId: string;
    identity: Record<string, unknown>;
    deviceId: string | null;
  }): Promise<CertificateAllocation> {
    const { tenantId, cert, group, individual } = a;
    let overrides: { group?: string; tags?: Record<string, string>; bootstrap_config?: unknown } = {};
    if (group?.allocationWebhookId) {
      const result = await deps.allocationWebhooks.allocate(tenantId, group.allocationWebhookId, {
        registration_id: a.registrationId,
        identity: a.identity,
        ...(a.deviceId === null ? {} : { device_id: a.deviceId }),
        certificate: { pem: cert.leaf.pem, subject: cert.leaf.subject, fingerprint: cert.leaf.fingerprint },
        enrollment: {
          group: groupToWire(group),
          ...(individual ? { individual: individualToWire(individual) } : {}),
        },
      });
      // The webhook call itself was recorded (allocation.denied); the refusal is recorded as
      // every other refusal of a certificate is (docs/enrollment.md).
      if (result.decision === 'deny') {
        await recordRefused({
          tenantId,
          registrationId: a.registrationId,
          cert,
          group,
          individual,
          reason: result.reason,
        });
        throw enrollmentErrors.refused(result.reason);
      }
      overrides = result.overrides ?? {};
    }
    const inventoryGroup = overrides.group ?? individual?.inventoryGroup ?? group?.inventoryGroup ?? null;
    const tags = { ...group?.tags, ...individual?.tags, ...overrides.tags };
    const template: BootstrapTemplate | null =
      overrides.bootstrap_config === undefined
        ? (group?.bootstrap ?? null)
        : {
            content: JSON.stringify(overrides.bootstrap_config),
            contentTemplate: 'none',
            channels: group?.bootstrap?.channels ?? [],
            active: group?.bootstrap?.active ?? true,
            held: group?.bootstrap?.held ?? null,
          };

    return {
      async apply(tx, { device, authSetId, nowMs }) {
        // Re-enrollment (a renewed certificate, a new key): the operator may have moved or
        // re-tagged the device since; only an allocation webhook's explicit answer changes that.
        const previous = await findRegistration(tx, tenantId, device.id);
        const reenrolled = previous !== undefined;
        const applied = reenrolled
          ? { group: overrides.group ?? null, tags: overrides.tags ?? {} }
          : { group: inventoryGroup, tags };
        await deps.inventory.apply(tx, { tenantId, deviceId: device.id, ...applied, nowMs });
        const config = await deps.bootstrap.provision(tx, {
          tenantId,
          deviceId: device.id,
          externalId: a.registrationId,
          template,
          nowMs,
        });
        await upsertRegistration(tx, {
          deviceId: device.id,
          tenantId,
          registrationId: a.registrationId,
          caId: cert.caId,
          groupId: group?.id ?? null,
          individualId: individual?.id ?? null,
          certSubject: cert.leaf.subject,
          certSerial: cert.leaf.serial,
          certFingerprint: cert.leaf.fingerprint,
          certNotAfter: cert.leaf.notAfter,
          createdAt: previous?.createdAt ?? nowMs,
          updatedAt: nowMs,
        });
        await recordEvent(tx, {
          tenantId,
          type: 'device.enrolled_by_certificate',
          deviceId: device.id,
          payload: {
            auth_set_id: authSetId,
            registration_id: a.registrationId,
            reenrolled,
            identity_data: a.identity,
            ca_id: cert.caId,
            enrollment_group_id: group?.id ?? null,
            individual_enrollment_id: individual?.id ?? null,
            allocation_webhook_id: group?.allocationWebhookId ?? null,
            certificate: certificateFacts(cert),
            inventory_group: applied.group,
            tags: applied.tags,
            bootstrap: config.outcome,
            bootstrap_config_id: config.configId,
          },
          nowMs,
        });
      },
    };
  }
};

const sourceValue = (cert: Certificate, source: string): string | null => {
  switch (source) {
    case 'cn':
      return cert.leaf.cn;
    case 'subject':
      return cert.leaf.subject;
    case 'serial':
      return cert.leaf.serial;
    case 'fingerprint':
      return cert.leaf.fingerprint;
    default:
      return null;
  }
};

const certificateFacts = (cert: Certificate) => ({
  subject: cert.leaf.subject,
  serial: cert.leaf.serial,
  fingerprint: cert.leaf.fingerprint,
  not_after: new Date(cert.leaf.notAfter).toISOString(),
});
