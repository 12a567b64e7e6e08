import { Type } from 'typebox';
import type { BlobStore } from '../blobs/index.js';
import type { Clock } from '../core/clock.js';
import { isUuid } from '../core/ids.js';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';
import { deploymentsErrors } from './deployments-errors.js';
import type { ArtifactDownloads } from './deployments-service-download.js';
import { DOWNLOAD_PATH_PREFIX, type DownloadLinks } from './download-links.js';

/** Parses a single `bytes=a-b` / `bytes=a-` / `bytes=-n` range; undefined = serve it all. */
export const parseRange = (
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'invalid' | undefined => {
  if (!header) return undefined;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // multiple or malformed ranges: ignore, as RFC 9110 allows
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
};

/**
 * Artifact download by signed link (docs/compat/mender-management.md#artifact-download): no
 * Authorization header; exact Content-Length;
 * `Range` → 206 with Content-Range so an interrupted download resumes; never compressed. Any
 * process with the same master key and blob storage serves any link.
 */
export const deploymentsDownloadRoutes =
  (deps: { downloads: ArtifactDownloads; blobs: BlobStore; links: DownloadLinks; clock: Clock }) =>
  async (app: App) => {
    const { downloads } = deps;
    app.get(
      `${DOWNLOAD_PATH_PREFIX}:id`,
      {
        schema: {
          tags: ['Deployments (device)'],
          summary: 'Download an artifact through a signed, expiring link (no Authorization header)',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          querystring: Type.Object({
            tenant: Type.String({ maxLength: 64 }),
            deployment: Type.String({ maxLength: 64 }),
            device: Type.String({ maxLength: 64 }),
            expires: Type.String({ maxLength: 16 }),
            signature: Type.String({ maxLength: 128 }),
          }),
          response: {
            200: {
              description: 'the artifact',
              content: {
                'application/vnd.mender-artifact': {
                  schema: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }),
                },
              },
            },
            206: {
              description: 'the requested range',
              content: {
                'application/vnd.mender-artifact': {
                  schema: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }),
                },
              },
            },
            ...errorResponses(400, 403, 404, 416),
          },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const id = req.params.id;
        const valid =
          isUuid(id) &&
          deps.links.check({
            tenantId: q.tenant,
            artifactId: id,
            deploymentId: q.deployment,
            deviceId: q.device,
            expires: q.expires,
            signature: q.signature,
            nowMs: deps.clock.nowMs(),
          });
        if (!valid) throw deploymentsErrors.badLink();
        const artifact = await downloads.artifact(id);
        if (!artifact || artifact.tenantId !== q.tenant) throw deploymentsErrors.artifactNotFound();
        const size = await deps.blobs.size(artifact.blobKey);
        if (size === undefined) throw deploymentsErrors.artifactNotFound();
        const range = parseRange(req.headers.range, size);
        if (range === 'invalid') {
          reply.header('Content-Range', `bytes */${size}`);
          throw deploymentsErrors.badRange();
        }
        const filename = `${artifact.name.replace(/[^A-Za-z0-9._-]/g, '_')}.mender`;
        reply
          .header('Content-Type', 'application/vnd.mender-artifact')
          .header('Content-Disposition', `attachment; filename="${filename}"`)
          .header('Accept-Ranges', 'bytes')
          .header('Cache-Control', 'private, no-transform');
        if (range) {
          reply
            .code(206)
            .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
            .header('Content-Length', String(range.end - range.start + 1));
          return reply.send(deps.blobs.open(artifact.blobKey, range));
        }
        reply.code(200).header('Content-Length', String(size));
        return reply.send(deps.blobs.open(artifact.blobKey));
      },
    );
  };
