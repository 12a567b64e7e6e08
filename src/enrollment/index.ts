import type { Clock } from '../core/clock.js';
import type { CertificateAdmission, DeviceHooks } from '../devauth/index.js';
import type { Module } from '../http/module.js';
import type { Store } from '../store/store.js';
import { createCertificateAdmission } from './enrollment-admission.js';
import type {
  AllocationWebhooks,
  CaDirectory,
  EnrollmentBootstrap,
  EnrollmentInventory,
} from './enrollment-ports.js';
import { deleteRegistration } from './enrollment-repo-registrations.js';
import { enrollmentRoutes } from './enrollment-routes.js';
import { createEnrollmentGroupsService, type EnrollmentGroupsService } from './enrollment-service-groups.js';
import {
  createEnrollmentIndividualsService,
  type EnrollmentIndividualsService,
} from './enrollment-service-individuals.js';
import {
  createEnrollmentRegistrationsService,
  type EnrollmentRegistrationsService,
} from './enrollment-service-registrations.js';

export { MAX_TAG_NAME_LENGTH, MAX_TAG_VALUE_LENGTH } from './enrollment-input.js';
export type {
  AllocationWebhooks,
  CaDirectory,
  EnrollmentBootstrap,
  EnrollmentInventory,
} from './enrollment-ports.js';
export { groupToWire, individualToWire, registrationToWire } from './enrollment-schemas.js';
export type {
  BootstrapTemplate,
  EnrollmentGroup,
  IndividualEnrollment,
  Registration,
} from './enrollment-types.js';

export interface EnrollmentModule extends Module {
  groups: EnrollmentGroupsService;
  individuals: EnrollmentIndividualsService;
  registrations: EnrollmentRegistrationsService;
  /** Devauth's certificate-based admission (src/devauth/devauth-service-certificate.ts). */
  admission: CertificateAdmission;
  /** A decommissioned device loses its registration record. */
  deviceHooks: DeviceHooks;
}

/** The enrollment domain: enrollment groups, individual enrollments, registrations, admission. */
export const createEnrollmentModule = (deps: {
  store: Store;
  clock: Clock;
  cas: CaDirectory;
  allocationWebhooks: AllocationWebhooks;
  bootstrap: EnrollmentBootstrap;
  inventory: EnrollmentInventory;
}): EnrollmentModule => {
  const groups = createEnrollmentGroupsService(deps);
  const individuals = createEnrollmentIndividualsService(deps);
  const registrations = createEnrollmentRegistrationsService(deps);
  return {
    groups,
    individuals,
    registrations,
    admission: createCertificateAdmission(deps),
    deviceHooks: {
      deviceChanged: async () => {},
      deviceRemoved: (tx, device) => deleteRegistration(tx, device.id),
    },
    routes: { management: [enrollmentRoutes({ groups, individuals, registrations })] },
  };
};
