import type { Clock } from '../core/clock.js';
import type { DeviceHooks } from '../devauth/index.js';
import type { Store } from '../store/store.js';
import type { Allocate } from '../webhooks/index.js';
import { type AdmissionEffects, createCertificateAdmission } from './enrollment-admission.js';
import { deleteRegistration } from './enrollment-repo-registrations.js';
import {
  createEnrollmentGroupsService,
  type EnrollmentGroupsService,
  type GroupReferences,
} from './enrollment-service-groups.js';
import {
  createEnrollmentIndividualsService,
  type EnrollmentIndividualsService,
} from './enrollment-service-individuals.js';
import {
  createEnrollmentRegistrationsService,
  type EnrollmentRegistrationsService,
} from './enrollment-service-registrations.js';

export type { AdmissionEffects } from './enrollment-admission.js';
export { MAX_TAG_NAME_LENGTH, MAX_TAG_VALUE_LENGTH } from './enrollment-input.js';
export { enrollmentRoutes } from './enrollment-routes.js';
export { groupToWire, individualToWire, registrationToWire } from './enrollment-schemas.js';
export type { GroupReferences } from './enrollment-service-groups.js';
export type {
  BootstrapTemplate,
  EnrollmentGroup,
  IndividualEnrollment,
  Registration,
} from './enrollment-types.js';

export interface Enrollment {
  groups: EnrollmentGroupsService;
  individuals: EnrollmentIndividualsService;
  registrations: EnrollmentRegistrationsService;
  /** Devauth's certificate-based admission (src/devauth/devauth-service-certificate.ts). */
  admission: ReturnType<typeof createCertificateAdmission>;
  /** A decommissioned device loses its registration record. */
  deviceHooks: DeviceHooks;
}

/** Builds the enrollment domain (wired in src/wiring.ts). */
export const createEnrollment = (deps: {
  store: Store;
  clock: Clock;
  refs: GroupReferences;
  allocate: Allocate;
  effects: AdmissionEffects;
}): Enrollment => ({
  groups: createEnrollmentGroupsService(deps),
  individuals: createEnrollmentIndividualsService(deps),
  registrations: createEnrollmentRegistrationsService(deps),
  admission: createCertificateAdmission(deps),
  deviceHooks: {
    deviceChanged: async () => {},
    deviceRemoved: (tx, device) => deleteRegistration(tx, device.id),
  },
});
