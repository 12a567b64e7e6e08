import { Type } from 'typebox';
import { offsetOf, parsePage } from '../core/pagination.js';
import { EmptyBody, errorResponses, Uuid } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { checkCsr, csrDerFromBody } from './pki-csr.js';
import { pkiErrors } from './pki-errors.js';
import { PKI_BASE } from './pki-routes-cas.js';
import {
  CaWire,
  CertificateListQuery,
  CertificateWire,
  CredentialBody,
  CredentialCreatedWire,
  CredentialWire,
  caToWire,
  certToWire,
  credentialToWire,
  EnableBuiltinBody,
  IssueBody,
  RevokeBody,
  SerialParams,
} from './pki-schemas.js';
import type { PkiBuiltinService } from './pki-service-builtin.js';
import type { PkiCredentialsService } from './pki-service-credentials.js';

const tags = ['PKI (built-in CA)'];

/** The tenant's built-in CA, the certificates it issued, and EST enrollment credentials. */
export const pkiBuiltinRoutes =
  (builtin: PkiBuiltinService, credentials: PkiCredentialsService) => async (app: App) => {
    app.post(
      `${PKI_BASE}/builtin-ca`,
      {
        schema: {
          tags,
          summary:
            'Enable the built-in CA: Gatehouse creates a CA key and certificate, registered as verified',
          body: EnableBuiltinBody,
          response: { 201: CaWire, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const ca = await builtin.enable(userOf(req).tenantId, {
          keyType: b.key_type,
          commonName: b.common_name,
          caValidityDays: b.ca_validity_days,
          certValidityDays: b.cert_validity_days,
        });
        return reply.code(201).header('Location', `${PKI_BASE}/cas/${ca.id}`).send(caToWire(ca));
      },
    );

    app.get(
      `${PKI_BASE}/builtin-ca`,
      {
        schema: {
          tags,
          summary: 'Read the built-in CA',
          response: { 200: CaWire, ...errorResponses(401, 404) },
        },
      },
      async (req) => caToWire(await builtin.get(userOf(req).tenantId)),
    );

    app.post(
      `${PKI_BASE}/certificates`,
      {
        schema: {
          tags,
          summary: 'Issue a client certificate from a CSR with the built-in CA',
          body: IssueBody,
          response: { 201: CertificateWire, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req, reply) => {
        const csr = await checkCsr(csrDerFromBody(req.body.csr));
        const { certificate } = await builtin.issue(userOf(req).tenantId, {
          csr,
          via: 'api',
          validityDays: req.body.validity_days,
        });
        return reply.code(201).send(certToWire(certificate));
      },
    );

    app.get(
      `${PKI_BASE}/certificates`,
      {
        schema: {
          tags,
          summary: 'List certificates issued by the built-in CA (oldest first)',
          querystring: CertificateListQuery,
          response: { 200: Type.Array(CertificateWire), ...errorResponses(400, 401) },
        },
      },
      async (req) => {
        const page = parsePage(req.query);
        const certs = await builtin.listCertificates(userOf(req).tenantId, {
          offset: offsetOf(page),
          limit: page.perPage,
          status: req.query.status,
        });
        return certs.map(certToWire);
      },
    );

    app.get(
      `${PKI_BASE}/certificates/:serial`,
      {
        schema: {
          tags,
          summary: 'Read an issued certificate',
          params: SerialParams,
          response: { 200: CertificateWire, ...errorResponses(401, 404) },
        },
      },
      async (req) => certToWire(await builtin.getCertificate(userOf(req).tenantId, req.params.serial)),
    );

    app.post(
      `${PKI_BASE}/certificates/:serial/revoke`,
      {
        schema: {
          tags,
          summary:
            'Revoke an issued certificate: its mTLS authentication fails at once; the CRL is re-signed',
          params: SerialParams,
          body: RevokeBody,
          response: { 200: CertificateWire, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) =>
        certToWire(
          await builtin.revoke(userOf(req).tenantId, req.params.serial, req.body.reason ?? 'unspecified'),
        ),
    );

    app.post(
      `${PKI_BASE}/enrollment-credentials`,
      {
        schema: {
          tags,
          summary: 'Create an EST enrollment credential (HTTP Basic name + secret; the secret is shown once)',
          body: CredentialBody,
          response: { 201: CredentialCreatedWire, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (req, reply) => {
        const raw = req.body.expires_at;
        const expiresAt = raw === undefined ? undefined : Date.parse(raw);
        if (expiresAt !== undefined && Number.isNaN(expiresAt))
          throw pkiErrors.badRequest('expires_at must be an RFC 3339 time');
        const { credential, secret } = await credentials.create(userOf(req).tenantId, {
          name: req.body.name,
          expiresAt,
          maxUses: req.body.max_uses,
        });
        return reply.code(201).send({ ...credentialToWire(credential), secret });
      },
    );

    app.get(
      `${PKI_BASE}/enrollment-credentials`,
      {
        schema: {
          tags,
          summary: 'List EST enrollment credentials (never their secrets)',
          response: { 200: Type.Array(CredentialWire), ...errorResponses(401) },
        },
      },
      async (req) => (await credentials.list(userOf(req).tenantId)).map(credentialToWire),
    );

    app.delete(
      `${PKI_BASE}/enrollment-credentials/:id`,
      {
        schema: {
          tags,
          summary: 'Delete an EST enrollment credential',
          params: Type.Object({ id: Uuid }),
          response: { 204: EmptyBody, ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await credentials.remove(userOf(req).tenantId, req.params.id);
        return reply.code(204).send();
      },
    );
  };
