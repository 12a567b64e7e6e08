import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import { isUuid } from '../core/ids.js';
import { bearerToken } from '../http/auth-hooks.js';
import { parseBasicAuth } from '../http/basic-auth.js';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';
import { DEFAULT_TENANT_ID } from '../tenants/index.js';
import { MAX_CSR_BYTES } from './pki-csr.js';
import { pkiErrors } from './pki-errors.js';
import { ClientCertWire, TenantParams } from './pki-schemas.js';
import type { PkiBuiltinService } from './pki-service-builtin.js';
import type { EstCaller, PkiEstService } from './pki-service-est.js';
import type { DeviceTokenCheck } from './pki-types.js';

export const EST_BASE = '/.well-known/est';
const PKCS7 = 'application/pkcs7-mime; smime-type=certs-only';
const estTags = ['EST (RFC 7030)'];

const pkcs7Response = (description: string) => ({
  200: {
    description,
    content: { 'application/pkcs7-mime': { schema: Type.String({ description: 'base64 PKCS#7' }) } },
  },
});

const sendPkcs7 = (reply: FastifyReply, base64: string) =>
  reply.code(200).type(PKCS7).header('Content-Transfer-Encoding', 'base64').send(base64);

const tenantFrom = (req: FastifyRequest): string => {
  const t = (req.params as { tenantId?: string }).tenantId ?? DEFAULT_TENANT_ID;
  if (!isUuid(t)) throw pkiErrors.tenantNotFound();
  return t.toLowerCase();
};

/** HTTP Basic (enrollment credential) or Bearer (an accepted device's token). */
const callerFrom = async (req: FastifyRequest, deviceTokens: DeviceTokenCheck): Promise<EstCaller> => {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return { kind: 'none' };
  if (/^basic /i.test(h)) {
    const creds = parseBasicAuth(h);
    if (!creds) throw pkiErrors.estUnauthorized('malformed Basic credentials');
    return { kind: 'credential', name: creds.user, secret: creds.password };
  }
  const token = bearerToken(req);
  if (token) {
    const principal = await deviceTokens.checkToken(token);
    if (!principal) throw pkiErrors.estUnauthorized('invalid device token');
    return { kind: 'device', principal };
  }
  throw pkiErrors.estUnauthorized('unsupported authorization scheme');
};

/**
 * Public PKI routes: EST (RFC 7030) under /.well-known/est (default tenant) and
 * /.well-known/est/{tenantId} (the RFC's optional CA label is the tenant id), and the built-in
 * CA's CRL. Each route authenticates on its own: nothing, a credential, a device token, or the
 * client certificate (simplereenroll).
 */
export const pkiPublicRoutes =
  (deps: { est: PkiEstService; builtin: Pick<PkiBuiltinService, 'crl'>; deviceTokens: DeviceTokenCheck }) =>
  async (app: App) => {
    // CSRs arrive as base64 text labelled application/pkcs10; anything else is a 415 here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      'application/pkcs10',
      { parseAs: 'buffer', bodyLimit: MAX_CSR_BYTES * 2 },
      (_r, body, done) => done(null, body),
    );
    app.addContentTypeParser('*', (_req, _payload, done) =>
      done(pkiErrors.unsupportedMediaType(), undefined),
    );

    for (const base of [EST_BASE, `${EST_BASE}/:tenantId`]) {
      const params = base === EST_BASE ? {} : { params: TenantParams };
      const label = base === EST_BASE ? ' (default tenant)' : '';
      app.get(
        `${base}/cacerts`,
        {
          schema: {
            tags: estTags,
            summary: `The built-in CA certificate${label}`,
            ...params,
            response: { ...pkcs7Response('PKCS#7 certs-only, base64'), ...errorResponses(404) },
          },
        },
        async (req, reply) => sendPkcs7(reply, await deps.est.cacerts(tenantFrom(req))),
      );
      app.post(
        `${base}/simpleenroll`,
        {
          schema: {
            tags: estTags,
            summary: `Enroll: a certificate for a base64 PKCS#10 CSR${label}; HTTP Basic enrollment credential or device Bearer token`,
            ...params,
            response: {
              ...pkcs7Response('the issued certificate'),
              ...errorResponses(400, 401, 404, 409, 415),
            },
          },
        },
        async (req, reply) => {
          const tenantId = tenantFrom(req);
          const caller = await callerFrom(req, deps.deviceTokens);
          const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          return sendPkcs7(reply, await deps.est.enroll(tenantId, caller, body));
        },
      );
      app.post(
        `${base}/simplereenroll`,
        {
          schema: {
            tags: estTags,
            summary: `Re-enroll with the current certificate (mTLS, same subject)${label}`,
            ...params,
            response: { ...pkcs7Response('the new certificate'), ...errorResponses(400, 401, 404, 409, 415) },
          },
        },
        async (req, reply) => {
          const tenantId = tenantFrom(req);
          const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          return sendPkcs7(
            reply,
            await deps.est.reenroll(tenantId, await req.verifyClientCert(tenantId), body),
          );
        },
      );
    }

    app.get(
      '/api/devices/v1/pki/client-certificate',
      {
        schema: {
          tags: ['PKI (built-in CA)'],
          summary:
            'The client certificate this request authenticated with (mTLS or trusted proxy), as Gatehouse verified it',
          response: { 200: ClientCertWire, ...errorResponses(401) },
        },
      },
      async (req) => {
        const v = await req.verifyClientCert();
        if (!v) throw pkiErrors.estNoClientCertificate('no client certificate presented');
        if (!v.ok) throw pkiErrors.estNoClientCertificate(v.reason);
        return {
          tenant_id: v.tenantId,
          ca_id: v.caId,
          ca_kind: v.caKind,
          subject: v.leaf.subject,
          cn: v.leaf.cn,
          serial: v.leaf.serial,
          fingerprint: v.leaf.fingerprint,
          not_after: toRfc3339(v.leaf.notAfter),
          source: req.clientCertSource ?? 'tls',
        };
      },
    );

    app.get(
      '/pki/:tenantId/crl',
      {
        schema: {
          tags: ['PKI (built-in CA)'],
          summary: "The built-in CA's certificate revocation list (DER)",
          params: TenantParams,
          response: {
            200: {
              description: 'CRL, DER',
              content: {
                'application/pkix-crl': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) },
              },
            },
            ...errorResponses(404),
          },
        },
      },
      async (req, reply) => {
        const crl = await deps.builtin.crl(tenantFrom(req));
        return reply
          .code(200)
          .type('application/pkix-crl')
          .header('Last-Modified', new Date(crl.thisUpdate).toUTCString())
          .header('Expires', new Date(crl.nextUpdate).toUTCString())
          .send(crl.der);
      },
    );
  };
