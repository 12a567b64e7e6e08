import { AppError } from '../core/errors.js';

export const deploymentsErrors = {
  artifactNotFound: () => new AppError('DEPLOYMENTS_ARTIFACT_NOT_FOUND', 404, 'artifact not found'),
  badArtifact: (message: string) =>
    new AppError('DEPLOYMENTS_BAD_ARTIFACT', 400, `invalid artifact: ${message}`),
  artifactTooLarge: (max: number) =>
    new AppError('DEPLOYMENTS_ARTIFACT_TOO_LARGE', 413, `artifact larger than the limit of ${max} bytes`),
  duplicateArtifact: (metadata: Record<string, unknown>) =>
    new AppError(
      'DEPLOYMENTS_DUPLICATE_ARTIFACT',
      409,
      'an artifact with the same name and depends already exists',
      {
        body: { metadata },
      },
    ),
  artifactIdInUse: () => new AppError('DEPLOYMENTS_ARTIFACT_ID_IN_USE', 409, 'artifact_id is already in use'),
  artifactInUse: () =>
    new AppError(
      'DEPLOYMENTS_ARTIFACT_IN_USE',
      409,
      'artifact is used by an active deployment and cannot be removed',
    ),
  badUpload: (message: string) => new AppError('DEPLOYMENTS_BAD_UPLOAD', 400, message),
  deploymentNotFound: () => new AppError('DEPLOYMENTS_NOT_FOUND', 404, 'deployment not found'),
  badDeployment: (message: string) => new AppError('DEPLOYMENTS_BAD_REQUEST', 400, message),
  noArtifactForDeployment: () =>
    new AppError('DEPLOYMENTS_NO_ARTIFACT', 422, 'No artifact for the deployment'),
  noDevices: () => new AppError('DEPLOYMENTS_NO_DEVICES', 400, 'No devices for the deployment'),
  /**
   * Ids that name no device of the caller's tenant: unknown ones and other tenants' alike, with
   * the same answer (the ids listed are the caller's own input, in its order).
   */
  unknownDevices: (ids: string[]) =>
    new AppError(
      'DEPLOYMENTS_UNKNOWN_DEVICES',
      400,
      `unknown device ids (${ids.length}): ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', ...' : ''}`,
    ),
  duplicateDeployment: () =>
    new AppError(
      'DEPLOYMENTS_DUPLICATE',
      409,
      'an active deployment with the same parameters already exists',
    ),
  alreadyFinished: () => new AppError('DEPLOYMENTS_FINISHED', 422, 'deployment already finished'),
  /** 409 tells the Mender client its deployment was aborted (docs/compat/mender-management.md). */
  aborted: () => new AppError('DEPLOYMENTS_ABORTED', 409, 'deployment aborted'),
  finishedForDevice: () =>
    new AppError('DEPLOYMENTS_DEVICE_FINISHED', 409, 'the deployment is already finished for this device'),
  deviceDeploymentNotFound: () =>
    new AppError('DEPLOYMENTS_DEVICE_NOT_FOUND', 404, 'deployment not found for this device'),
  badStatus: (s: string) => new AppError('DEPLOYMENTS_BAD_STATUS', 400, `invalid status: ${s}`),
  providesChanged: () =>
    new AppError(
      'DEPLOYMENTS_PROVIDES_CHANGED',
      409,
      'the device reports different artifact_name/device_type than at the start of its deployment',
    ),
  badLog: (message: string) => new AppError('DEPLOYMENTS_BAD_LOG', 400, `invalid deployment log: ${message}`),
  logNotFound: () => new AppError('DEPLOYMENTS_LOG_NOT_FOUND', 404, 'deployment log not found'),
  badLink: () => new AppError('DEPLOYMENTS_BAD_LINK', 403, 'invalid or expired download link'),
  badRange: () => new AppError('DEPLOYMENTS_BAD_RANGE', 416, 'requested range not satisfiable'),
};
