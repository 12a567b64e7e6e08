import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { commonErrors } from '../core/errors.js';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { errorResponses, PagingQuery } from '../http/schemas-common.js';
import { type App, actorOf, userOf } from '../http/types.js';
import { factoryErrors } from './factory-errors.js';
import {
  DryRunWire,
  dryRunToWire,
  FactoryCreateBody,
  FactoryWire,
  factoryToWire,
  IdParams,
  ImportQuery,
  ImportWire,
  importToWire,
  MAX_DRY_RUN_PROBLEMS,
  ProblemsQuery,
  RowResultWire,
  rowToWire,
} from './factory-schemas.js';
import type { FactoriesService } from './factory-service-factories.js';
import type { RowResult } from './import-engine.js';
import { REPORT_HEADER, reportLine } from './import-report.js';
import type { ImportsService } from './import-service.js';
import type { ManifestFormat } from './manifest-read.js';

export const FACTORIES_BASE = '/api/management/v2/devauth/factories';
export const IMPORTS_BASE = '/api/management/v2/devauth/imports';
const tags = ['Factory provisioning'];
export const SIGNATURE_HEADER = 'x-gatehouse-manifest-signature';

const MANIFEST_TYPES = ['text/csv', 'application/jsonl', 'application/x-ndjson', 'application/octet-stream'];

const formatOf = (query: { format?: ManifestFormat }, contentType: string | undefined): ManifestFormat => {
  if (query.format) return query.format;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/jsonl' || type === 'application/x-ndjson') return 'jsonl';
  throw factoryErrors.badManifest(
    'say the manifest format: ?format=jsonl|csv, or Content-Type text/csv or application/jsonl',
  );
};

const MAX_PROBLEMS_PER_PAGE = 1000;

const problemsPerPage = (raw: string | undefined): number => {
  if (raw === undefined) return 100;
  const n = Number(raw);
  if (n < 1 || n > MAX_PROBLEMS_PER_PAGE)
    throw commonErrors.badRequest(`parameter "per_page" must be 1 to ${MAX_PROBLEMS_PER_PAGE}`);
  return n;
};

/** Factory keys and manifest imports (docs/factory-manifests.md). */
export const factoryMgmtRoutes =
  (deps: { factories: FactoriesService; imports: ImportsService }) => async (app: App) => {
    const { factories, imports } = deps;
    // The manifest is the request body, streamed to blob storage as it arrives (never buffered).
    app.addContentTypeParser(MANIFEST_TYPES, (_req, payload, done) => done(null, payload));

    app.post(
      FACTORIES_BASE,
      {
        schema: {
          tags,
          summary: 'Register a factory key',
          description: 'The public key a factory station signs its manifests with.',
          body: FactoryCreateBody,
          response: { 201: FactoryWire, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (req, reply) => {
        const f = await factories.register(
          userOf(req).tenantId,
          { name: req.body.name, publicKeyPem: req.body.public_key },
          actorOf(req),
        );
        return reply.code(201).header('Location', `${FACTORIES_BASE}/${f.id}`).send(factoryToWire(f));
      },
    );

    app.get(
      FACTORIES_BASE,
      {
        schema: {
          tags,
          summary: 'List factory keys',
          response: { 200: Type.Array(FactoryWire), ...errorResponses(401) },
        },
      },
      async (req) => (await factories.list(userOf(req).tenantId)).map(factoryToWire),
    );

    app.get(
      `${FACTORIES_BASE}/:id`,
      {
        schema: {
          tags,
          summary: 'Read a factory key',
          params: IdParams,
          response: { 200: FactoryWire, ...errorResponses(401, 404) },
        },
      },
      async (req) => factoryToWire(await factories.get(userOf(req).tenantId, req.params.id)),
    );

    app.post(
      `${FACTORIES_BASE}/:id/disable`,
      {
        schema: {
          tags,
          summary: 'Disable a factory key',
          description:
            'Manifests it signs are refused from now on. The key stays listed, so the devices it brought in keep naming it.',
          params: IdParams,
          response: { 200: FactoryWire, ...errorResponses(401, 403, 404) },
        },
      },
      async (req) =>
        factoryToWire(await factories.disable(userOf(req).tenantId, req.params.id, actorOf(req))),
    );

    app.post(
      IMPORTS_BASE,
      {
        schema: {
          tags,
          summary: 'Import a manifest (bulk preauthorization)',
          description: `The body is the manifest (JSON Lines or CSV), streamed. The detached signature goes in the \`${SIGNATURE_HEADER}\` header (the .sig file's base64). A real import answers 202 with the queued import, whose progress GET /imports/{id} reports; the same manifest while its import is unfinished answers 202 with that import. A dry run answers 200 with the counts and the first ${MAX_DRY_RUN_PROBLEMS} problem rows, changing nothing.`,
          querystring: ImportQuery,
          headers: Type.Object({ [SIGNATURE_HEADER]: Type.Optional(Type.String({ maxLength: 4096 })) }),
          response: { 200: DryRunWire, 202: ImportWire, ...errorResponses(400, 401, 403, 413, 415) },
        },
      },
      async (req, reply) => {
        const body = req.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function')
          throw factoryErrors.badManifest(
            `send the manifest as the body (Content-Type ${MANIFEST_TYPES.join(', ')})`,
          );
        const tenantId = userOf(req).tenantId;
        const format = formatOf(req.query, req.headers['content-type']);
        const signature = req.headers[SIGNATURE_HEADER] as string | undefined;
        const opts = {
          format,
          signature,
          allowUnsigned: req.query.allow_unsigned === 'true',
          actor: actorOf(req),
        };
        if (req.query.dry_run === 'true') {
          const problems: RowResult[] = [];
          let truncated = false;
          const summary = await imports.dryRunUpload(tenantId, body, opts, (rs) => {
            for (const r of rs) {
              if (r.outcome !== 'conflict' && r.outcome !== 'invalid') continue;
              if (problems.length < MAX_DRY_RUN_PROBLEMS) problems.push(r);
              else truncated = true;
            }
          });
          return reply.code(200).send(dryRunToWire(summary, problems, truncated));
        }
        const { job } = await imports.stage(tenantId, body, opts);
        return reply.code(202).header('Location', `${IMPORTS_BASE}/${job.id}`).send(importToWire(job));
      },
    );

    app.get(
      IMPORTS_BASE,
      {
        schema: {
          tags,
          summary: 'List imports (newest first)',
          querystring: Type.Object(PagingQuery),
          response: { 200: Type.Array(ImportWire), ...errorResponses(400, 401) },
        },
      },
      async (req, reply) => {
        const page = parsePage(req.query);
        const { imports: list, total } = await imports.list(userOf(req).tenantId, {
          offset: offsetOf(page),
          limit: page.perPage,
        });
        return sendPage(reply, req.url, page, list.map(importToWire), total, pageFollows(page, total));
      },
    );

    app.get(
      `${IMPORTS_BASE}/:id`,
      {
        schema: {
          tags,
          summary: 'Read an import and its progress',
          params: IdParams,
          response: { 200: ImportWire, ...errorResponses(401, 404) },
        },
      },
      async (req) => importToWire(await imports.get(userOf(req).tenantId, req.params.id)),
    );

    app.get(
      `${IMPORTS_BASE}/:id/problems`,
      {
        schema: {
          tags,
          summary: 'The rows an import did not import (conflict, invalid), by line',
          params: IdParams,
          querystring: ProblemsQuery,
          response: { 200: Type.Array(RowResultWire), ...errorResponses(400, 401, 404) },
        },
      },
      async (req) =>
        (
          await imports.problems(userOf(req).tenantId, req.params.id, {
            afterLine: Number(req.query.after_line ?? 0),
            limit: problemsPerPage(req.query.per_page),
            ...(req.query.outcome ? { outcome: req.query.outcome } : {}),
          })
        ).map(rowToWire),
    );

    app.get(
      `${IMPORTS_BASE}/:id/report`,
      {
        schema: {
          tags,
          summary: 'The error report: every problem row, as CSV (line, outcome, device_id, reason)',
          params: IdParams,
          response: { 200: Type.String({ description: 'text/csv' }), ...errorResponses(401, 404) },
        },
      },
      async (req, reply) => {
        const tenantId = userOf(req).tenantId;
        const job = await imports.get(tenantId, req.params.id);
        async function* lines() {
          yield REPORT_HEADER;
          for await (const p of imports.allProblems(tenantId, job.id)) yield reportLine(p);
        }
        return reply
          .type('text/csv; charset=utf-8')
          .header('Content-Disposition', `attachment; filename="import-${job.id}-problems.csv"`)
          .send(Readable.from(lines()) as unknown as string);
      },
    );
  };
