import multipart from '@fastify/multipart';
import { type FormLimits, formParts } from '../http/multipart-form.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { deploymentsErrors } from './deployments-errors.js';
import { type ArtifactsService, MAX_DESCRIPTION_LENGTH } from './deployments-service-artifacts.js';

const BASE = '/api/management/v1/deployments';
const tags = ['Artifacts'];

/**
 * The upload form: size, description, artifact_id and the artifact (mender-cli sends these), with
 * room for a few fields a client may add. A description may use 4 bytes per character in UTF-8.
 */
const UPLOAD_FORM_LIMITS: FormLimits = {
  fieldSize: MAX_DESCRIPTION_LENGTH * 4,
  fields: 8,
  files: 1,
  parts: 10,
};

/**
 * POST /api/management/v1/deployments/artifacts (docs/compat/mender-management.md#artifacts), in a
 * plugin of its own so that only
 * this route parses multipart/form-data.
 */
export const artifactUploadRoute =
  (service: Pick<ArtifactsService, 'upload'>, config: { maxArtifactBytes: number }) => async (app: App) => {
    await app.register(multipart, {
      limits: {
        ...UPLOAD_FORM_LIMITS,
        // One byte over the limit reaches the upload's own counter, which answers 413.
        fileSize: config.maxArtifactBytes + 1,
      },
    });

    app.post(
      `${BASE}/artifacts`,
      {
        schema: {
          tags,
          summary:
            'Upload an artifact (multipart: size, description, artifact_id, then the artifact file last)',
          description:
            'The artifact is streamed to storage and parsed at once; every manifest checksum is verified. A malformed, truncated or tampered artifact is refused with 400 and nothing is kept. 409 when an artifact of the same name shares device types and depends, or when the given artifact_id is already in use (by any tenant: the answer does not say whose).',
          consumes: ['multipart/form-data'],
          response: { 201: EmptyBody, ...errorResponses(400, 401, 409, 413, 415) },
        },
      },
      async (req, reply) => {
        if (!req.isMultipart()) throw deploymentsErrors.badUpload('expected multipart/form-data');
        const tenantId = userOf(req).tenantId;
        let description = '';
        let declaredSize: number | undefined;
        let id: string | undefined;
        for await (const part of formParts(req, UPLOAD_FORM_LIMITS)) {
          if (part.type === 'field') {
            const value = part.value;
            if (part.fieldname === 'description') description = value;
            else if (part.fieldname === 'artifact_id') id = value;
            else if (part.fieldname === 'size') {
              if (!/^\d{1,15}$/.test(value))
                throw deploymentsErrors.badUpload('size must be a number of bytes');
              declaredSize = Number(value);
            }
            continue;
          }
          if (part.fieldname !== 'artifact') {
            part.file.resume();
            continue;
          }
          const artifact = await service.upload(tenantId, {
            source: part.file,
            description,
            declaredSize,
            id,
          });
          return reply.code(201).header('Location', `${BASE}/artifacts/${artifact.id}`).send();
        }
        throw deploymentsErrors.badUpload('missing the "artifact" file part');
      },
    );
  };
