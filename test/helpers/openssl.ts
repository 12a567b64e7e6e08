import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_CI } from './env.js';

/**
 * Real openssl and curl for PKI tests (docs/principles.md#tests-use-real-components). Without
 * the tool, tests skip locally and fail in CI (.ci/run installs both).
 */
export const hasTool = (name: 'openssl' | 'curl'): boolean => {
  const ok =
    spawnSync(name, [name === 'openssl' ? 'version' : '--version'], { stdio: 'ignore' }).status === 0;
  if (!ok && IN_CI) throw new Error(`${name} is required in CI`);
  return ok;
};

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
/** A temp dir removed when the test process exits. */
export const pkiDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pki-'));
  made.push(dir);
  return dir;
};

export const run = (cmd: string, args: string[], opts: { cwd?: string; input?: string | Buffer } = {}) => {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString() ?? ''}`);
  return r.stdout;
};

export const openssl = (dir: string, args: string[], input?: string | Buffer): Buffer =>
  run('openssl', args, { cwd: dir, input });

export type KeyKind = 'ec' | 'rsa' | 'ed25519';

const genKey = (dir: string, name: string, kind: KeyKind): string => {
  const file = `${name}.key`;
  if (kind === 'ec')
    openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  else if (kind === 'rsa')
    openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file]);
  else openssl(dir, ['genpkey', '-algorithm', 'ed25519', '-out', file]);
  return join(dir, file);
};

export const CA_EXT = [
  'basicConstraints=critical,CA:TRUE',
  'keyUsage=critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
].join('\n');
export const CLIENT_EXT = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=clientAuth',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
].join('\n');

export interface Issued {
  name: string;
  key: string;
  crt: string;
  pem: string;
}

/** A self-signed root CA, as the seed's create_root step does. */
export const makeRootCa = (dir: string, name: string, opts: { cn?: string; kind?: KeyKind } = {}): Issued => {
  const key = genKey(dir, name, opts.kind ?? 'ec');
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-subj',
    `/CN=${opts.cn ?? name}/O=Gatehouse Test`,
    '-days',
    '30',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    'subjectKeyIdentifier=hash',
    '-out',
    `${name}.crt`,
  ]);
  const crt = join(dir, `${name}.crt`);
  return { name, key, crt, pem: readFileSync(crt, 'utf8') };
};

/** A CSR (and its key) for `cn`. */
export const makeCsr = (
  dir: string,
  name: string,
  opts: { cn?: string; subj?: string; kind?: KeyKind; key?: string } = {},
): { key: string; csr: string; der: Buffer } => {
  const key = opts.key ?? genKey(dir, name, opts.kind ?? 'ec');
  openssl(dir, [
    'req',
    '-new',
    '-key',
    key,
    '-subj',
    opts.subj ?? `/CN=${opts.cn ?? name}`,
    '-out',
    `${name}.csr`,
  ]);
  const der = openssl(dir, ['req', '-in', `${name}.csr`, '-outform', 'DER']);
  return { key, csr: join(dir, `${name}.csr`), der };
};

/** A certificate for a new key signed by `ca` (openssl x509 -req -CA ... -CAkey ...). */
export const signWith = (
  dir: string,
  ca: Issued,
  name: string,
  opts: { cn?: string; ext?: string; days?: number; kind?: KeyKind } = {},
): Issued => {
  const { key, csr } = makeCsr(dir, name, { cn: opts.cn ?? name, kind: opts.kind });
  writeFileSync(join(dir, `${name}.ext`), opts.ext ?? CLIENT_EXT);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.crt,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${randomBytes(12).toString('hex')}`,
    '-days',
    String(opts.days ?? 30),
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
  const crt = join(dir, `${name}.crt`);
  return { name, key, crt, pem: readFileSync(crt, 'utf8') };
};

/** The proof-of-possession certificate: CN = the verification code, signed by the CA key. */
export const makeVerificationCert = (dir: string, ca: Issued, code: string): string =>
  signWith(dir, ca, `verify-${randomBytes(4).toString('hex')}`, {
    cn: code,
    ext: 'basicConstraints=CA:FALSE',
  }).pem;

/** Certificates printed by `openssl pkcs7 -print_certs` from a base64 PKCS#7 EST answer. */
export const certsFromPkcs7Base64 = (dir: string, base64: string): string => {
  const der = Buffer.from(base64.replace(/\s+/g, ''), 'base64');
  return openssl(dir, ['pkcs7', '-inform', 'DER', '-print_certs'], der).toString();
};

/** A CRL of `ca` listing `revoked`, made with `openssl ca -revoke` and `-gencrl`; PEM. */
export const makeCrl = (dir: string, ca: Issued, revoked: Issued[]): string => {
  const tag = randomBytes(4).toString('hex');
  writeFileSync(join(dir, `index-${tag}.txt`), '');
  writeFileSync(join(dir, `crlnumber-${tag}`), '01\n');
  writeFileSync(
    join(dir, `ca-${tag}.cnf`),
    [
      '[ ca ]',
      'default_ca = CA_default',
      '[ CA_default ]',
      `database = index-${tag}.txt`,
      `crlnumber = crlnumber-${tag}`,
      'default_md = sha256',
      'default_crl_days = 7',
      '',
    ].join('\n'),
  );
  const base = ['ca', '-config', `ca-${tag}.cnf`, '-keyfile', ca.key, '-cert', ca.crt];
  for (const r of revoked) openssl(dir, [...base, '-revoke', r.crt, '-crl_reason', 'keyCompromise']);
  openssl(dir, [...base, '-gencrl', '-out', `crl-${tag}.pem`]);
  return readFileSync(join(dir, `crl-${tag}.pem`), 'utf8');
};

/**
 * curl, asynchronously (the server under test runs in this process): status code and body.
 * Extra arguments go first (e.g. --cacert, --cert/--key, -u, -H, --data-binary).
 */
let curlDir: string | undefined;
export const curl = (args: string[]): Promise<{ status: number; body: Buffer; headers: string }> =>
  new Promise((resolve, reject) => {
    curlDir ??= pkiDir();
    const tag = randomBytes(6).toString('hex');
    const out = join(curlDir, `${tag}.body`);
    const hdr = join(curlDir, `${tag}.headers`);
    execFile('curl', ['-sS', '-o', out, '-D', hdr, '-w', '%{http_code}', ...args], (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${args.join(' ')}: ${stderr || err.message}`));
      resolve({ status: Number(stdout), body: readFileSync(out), headers: readFileSync(hdr, 'utf8') });
    });
  });

/** The first PEM certificate of a text (e.g. `openssl pkcs7 -print_certs` output). */
export const firstPem = (text: string): string => {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/.exec(text);
  if (!m) throw new Error('no certificate in output');
  return m[0];
};
