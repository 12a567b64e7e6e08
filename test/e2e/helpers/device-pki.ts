import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CA_EXT,
  CLIENT_EXT,
  certsFromPkcs7Base64,
  curl,
  firstPem,
  type Issued,
  type KeyKind,
  makeCsr,
  makeRootCa,
  makeVerificationCert,
  openssl,
  signWith,
} from '../../helpers/openssl.js';
import type { ManagementClient } from './management-api.js';

/**
 * Device certificates made with the openssl command line, the way a manufacturer's PKI would make
 * them (seed 003: root CA → intermediate → device leaf with CN = the device id), and the
 * management API calls that register a CA with proof of possession.
 */

export const PKI = '/api/management/v1/pki';
export const AUDIT = '/api/management/v1/audit/events';

/** A root CA and an intermediate it signed. */
export interface CaChain {
  root: Issued;
  intermediate: Issued;
}

/** A device's mTLS material: `certFile` holds the leaf first, then its intermediates. */
export interface DeviceCert {
  cn: string;
  leaf: Issued;
  key: string;
  certFile: string;
}

const tag = () => randomBytes(4).toString('hex');

export const makeCaChain = (dir: string, name: string): CaChain => {
  const root = makeRootCa(dir, `${name}-root`, { cn: `${name} Root CA` });
  const intermediate = signWith(dir, root, `${name}-int`, { cn: `${name} Intermediate CA`, ext: CA_EXT });
  return { root, intermediate };
};

/** Writes the leaf followed by `chain` (as mender's HttpsClient.Certificate file). */
export const bundle = (dir: string, leaf: Issued, chain: Issued[] = []): string => {
  const file = join(dir, `${leaf.name}.chain.crt`);
  writeFileSync(file, [leaf, ...chain].map((c) => c.pem).join(''));
  return file;
};

/** A device leaf (CN = a fresh device id, clientAuth) signed by `issuer`; the file holds `chain` too. */
export const makeDeviceCert = (
  dir: string,
  issuer: Issued,
  opts: { kind?: KeyKind; cn?: string; chain?: Issued[] } = {},
): DeviceCert => {
  const cn = opts.cn ?? `dev-${opts.kind ?? 'ec'}-${tag()}`;
  const leaf = signWith(dir, issuer, cn, { cn, kind: opts.kind ?? 'ec', ext: CLIENT_EXT });
  return { cn, leaf, key: leaf.key, certFile: bundle(dir, leaf, opts.chain ?? []) };
};

/**
 * A device leaf whose validity ended in the past: `openssl ca` (OpenSSL 3.0's `x509 -req` cannot
 * set dates) with an explicit -startdate/-enddate.
 */
export const makeExpiredDeviceCert = (dir: string, issuer: Issued, chain: Issued[] = []): DeviceCert => {
  const t = tag();
  const cn = `dev-expired-${t}`;
  const { key, csr } = makeCsr(dir, cn, { cn, kind: 'ec' });
  writeFileSync(join(dir, `index-${t}.txt`), '');
  writeFileSync(join(dir, `serial-${t}`), `${randomBytes(8).toString('hex').toUpperCase()}\n`);
  writeFileSync(join(dir, `${cn}.ext`), CLIENT_EXT);
  writeFileSync(
    join(dir, `ca-${t}.cnf`),
    [
      '[ ca ]',
      'default_ca = CA_default',
      '[ CA_default ]',
      `database = index-${t}.txt`,
      `serial = serial-${t}`,
      'new_certs_dir = .',
      'default_md = sha256',
      'policy = policy_any',
      'unique_subject = no',
      '[ policy_any ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  openssl(dir, [
    'ca',
    '-batch',
    '-notext',
    '-config',
    `ca-${t}.cnf`,
    '-cert',
    issuer.crt,
    '-keyfile',
    issuer.key,
    '-in',
    csr,
    '-startdate',
    '20240101000000Z',
    '-enddate',
    '20240301000000Z',
    '-extfile',
    `${cn}.ext`,
    '-out',
    `${cn}.crt`,
  ]);
  const crt = join(dir, `${cn}.crt`);
  const leaf: Issued = { name: cn, key, crt, pem: firstPem(readFileSync(crt, 'utf8')) };
  writeFileSync(crt, leaf.pem);
  return { cn, leaf, key, certFile: bundle(dir, leaf, chain) };
};

/** A server certificate for 127.0.0.1 (what the client's ServerCertificate CA must vouch for). */
export const makeServerCert = (dir: string, ca: Issued): Issued =>
  signWith(dir, ca, `server-${tag()}`, {
    cn: '127.0.0.1',
    ext: 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth',
  });

const expect2xx = <T>(r: { status: number; body: T }, what: string): T => {
  if (r.status < 200 || r.status > 299)
    throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/** The PKI management API (register/verify CAs, built-in CA, CRLs) and the audit log, over HTTP. */
export const pkiClient = (mgmt: ManagementClient, dir: string) => ({
  /** Registers `ca` (unverified); returns its id and the verification code. */
  async registerCa(ca: Issued): Promise<{ id: string; code: string }> {
    const body = expect2xx(
      await mgmt.call<{ id: string; verification_code: string; status: string }>('POST', `${PKI}/cas`, {
        certificate: ca.pem,
      }),
      'register CA',
    );
    return { id: body.id, code: body.verification_code };
  },

  /** Proof of possession: a certificate with CN = the code, signed with the CA's key (openssl). */
  async verifyCa(id: string, ca: Issued, code: string): Promise<void> {
    const body = expect2xx(
      await mgmt.call<{ status: string }>('POST', `${PKI}/cas/${id}/verification`, {
        certificate: makeVerificationCert(dir, ca, code),
      }),
      'verify CA',
    );
    if (body.status !== 'verified') throw new Error(`CA ${id} not verified: ${JSON.stringify(body)}`);
  },

  async registerVerifiedCa(ca: Issued): Promise<string> {
    const { id, code } = await this.registerCa(ca);
    await this.verifyCa(id, ca, code);
    return id;
  },

  uploadCrl: async (caId: string, crlPem: string) =>
    expect2xx(await mgmt.call('PUT', `${PKI}/cas/${caId}/crl`, { crl: crlPem }), 'upload CRL'),

  /** The tenant's built-in CA (created on first use). */
  async builtinCa(): Promise<{ id: string; certificate: string }> {
    const got = await mgmt.call<{ id: string; certificate: string }>('GET', `${PKI}/builtin-ca`);
    if (got.status === 200) return got.body;
    return expect2xx(
      await mgmt.call<{ id: string; certificate: string }>('POST', `${PKI}/builtin-ca`, {
        key_type: 'ec-p256',
      }),
      'create built-in CA',
    );
  },

  /** A certificate from the built-in CA for a new key (CSR made with openssl). */
  async issueBuiltin(cn: string, kind: KeyKind = 'ec'): Promise<DeviceCert & { serial: string }> {
    const { key, csr } = makeCsr(dir, cn, { cn, kind });
    const body = expect2xx(
      await mgmt.call<{ certificate: string; serial: string }>('POST', `${PKI}/certificates`, {
        csr: readFileSync(csr, 'utf8'),
      }),
      'issue certificate',
    );
    const crt = join(dir, `${cn}.crt`);
    writeFileSync(crt, body.certificate);
    const leaf: Issued = { name: cn, key, crt, pem: body.certificate };
    return { cn, leaf, key, certFile: crt, serial: body.serial };
  },

  revoke: async (serial: string) =>
    expect2xx(
      await mgmt.call('POST', `${PKI}/certificates/${serial}/revoke`, { reason: 'keyCompromise' }),
      'revoke',
    ),

  /** An EST enrollment credential (HTTP Basic name:secret for /simpleenroll). */
  enrollmentCredential: async (name: string, maxUses = 5): Promise<string> =>
    expect2xx(
      await mgmt.call<{ secret: string }>('POST', `${PKI}/enrollment-credentials`, {
        name,
        max_uses: maxUses,
      }),
      'enrollment credential',
    ).secret,

  auditEvents: async (type: string) =>
    expect2xx(
      await mgmt.call<{ type: string; device_id: string | null; data: Record<string, unknown> }[]>(
        'GET',
        `${AUDIT}?type=${encodeURIComponent(type)}&per_page=500`,
      ),
      'audit events',
    ),
});

export type PkiClient = ReturnType<typeof pkiClient>;

/**
 * RFC 7030 enrollment with curl, as a factory script would run it: a CSR (DER, base64) POSTed as
 * application/pkcs10 to `<baseUrl>/.well-known/est/<op>`; the answer is a base64 PKCS#7 whose
 * first certificate is written next to the key. `auth` is curl's credentials (-u, or --cert/--key).
 */
export const estEnroll = async (
  dir: string,
  opts: {
    baseUrl: string;
    caFile: string;
    op: 'simpleenroll' | 'simplereenroll';
    cn: string;
    auth: string[];
  },
): Promise<{ status: number; body: string; cert?: DeviceCert }> => {
  const name = `${opts.cn}-${opts.op}-${tag()}`;
  const { key, der } = makeCsr(dir, name, { cn: opts.cn, kind: 'ec' });
  const b64 = join(dir, `${name}.b64`);
  writeFileSync(b64, der.toString('base64').replace(/(.{64})/g, '$1\n'));
  const res = await curl([
    '--cacert',
    opts.caFile,
    ...opts.auth,
    '-H',
    'Content-Type: application/pkcs10',
    '--data-binary',
    `@${b64}`,
    `${opts.baseUrl}/.well-known/est/${opts.op}`,
  ]);
  if (res.status !== 200) return { status: res.status, body: res.body.toString() };
  const pem = firstPem(certsFromPkcs7Base64(dir, res.body.toString()));
  const crt = join(dir, `${name}.crt`);
  writeFileSync(crt, pem);
  const leaf: Issued = { name, key, crt, pem };
  return { status: 200, body: '', cert: { cn: opts.cn, leaf, key, certFile: crt } };
};
