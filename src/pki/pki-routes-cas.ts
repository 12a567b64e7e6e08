import { Type } from 'typebox';
import { offsetOf, parsePage } from '../core/pagination.js';
import { EmptyBody, errorResponses, PagingQuery } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import {
  CaParams,
  CaWire,
  CrlBody,
  caToWire,
  RegisterCaBody,
  UpdateCaBody,
  VerifyCaBody,
} from './pki-schemas.js';
import type { PkiCasService } from './pki-service-cas.js';

export const PKI_BASE = '/api/management/v1/pki';
const tags = ['PKI (CAs)'];

/** CA registration with proof of possession (Azure DPS / AWS IoT style verification codes). */
export const pkiCaRoutes = (service: PkiCasService) => async (app: App) => {
  app.post(
    `${PKI_BASE}/cas`,
    {
      schema: {
        tags,
        summary: 'Register a root or intermediate CA certificate (unverified; answers a verification code)',
        body: RegisterCaBody,
        response: { 201: CaWire, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const ca = await service.register(userOf(req).tenantId, req.body);
      return reply.code(201).header('Location', `${PKI_BASE}/cas/${ca.id}`).send(caToWire(ca));
    },
  );

  app.get(
    `${PKI_BASE}/cas`,
    {
      schema: {
        tags,
        summary: 'List the CAs of your tenant',
        querystring: Type.Object(PagingQuery),
        response: { 200: Type.Array(CaWire), ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      const page = parsePage(req.query);
      const cas = await service.list(userOf(req).tenantId, { offset: offsetOf(page), limit: page.perPage });
      return cas.map(caToWire);
    },
  );

  app.get(
    `${PKI_BASE}/cas/:id`,
    {
      schema: {
        tags,
        summary: 'Read a CA',
        params: CaParams,
        response: { 200: CaWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => caToWire(await service.get(userOf(req).tenantId, req.params.id)),
  );

  app.post(
    `${PKI_BASE}/cas/:id/verification`,
    {
      schema: {
        tags,
        summary:
          'Prove possession of the CA key: upload a certificate with CN = the verification code, signed by it',
        params: CaParams,
        body: VerifyCaBody,
        response: { 200: CaWire, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => caToWire(await service.verify(userOf(req).tenantId, req.params.id, req.body)),
  );

  app.post(
    `${PKI_BASE}/cas/:id/verification-code`,
    {
      schema: {
        tags,
        summary: 'Replace the verification code of an unverified CA',
        params: CaParams,
        response: { 200: CaWire, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (req) => caToWire(await service.regenerateCode(userOf(req).tenantId, req.params.id)),
  );

  app.put(
    `${PKI_BASE}/cas/:id`,
    {
      schema: {
        tags,
        summary: 'Enable or disable a CA (a disabled CA admits nobody), or rename it',
        params: CaParams,
        body: UpdateCaBody,
        response: { 200: CaWire, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => caToWire(await service.update(userOf(req).tenantId, req.params.id, req.body)),
  );

  app.put(
    `${PKI_BASE}/cas/:id/crl`,
    {
      schema: {
        tags,
        summary: 'Upload a CRL of an uploaded CA; certificates it lists are refused',
        params: CaParams,
        body: CrlBody,
        response: { 200: CaWire, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => caToWire(await service.uploadCrl(userOf(req).tenantId, req.params.id, req.body)),
  );

  app.delete(
    `${PKI_BASE}/cas/:id`,
    {
      schema: {
        tags,
        summary: 'Delete an uploaded CA',
        params: CaParams,
        response: { 204: EmptyBody, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await service.remove(userOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );
};
