import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type OpensslKeyKind = 'rsa3072' | 'ec-p256' | 'ed25519';

const GENPKEY_ARGS: Record<OpensslKeyKind, string[]> = {
  rsa3072: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  'ec-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ed25519: ['-algorithm', 'ed25519'],
};

/** Writes a private key the way the Mender tutorial does (`openssl genpkey`, PKCS#8 PEM, mode 0600). */
export const generateKeyFile = async (kind: OpensslKeyKind, path: string): Promise<void> => {
  await run('openssl', ['genpkey', ...GENPKEY_ARGS[kind], '-out', path]);
  await chmod(path, 0o600);
};

/** The SubjectPublicKeyInfo PEM of a private key file (`openssl pkey -pubout`), as an admin would upload it. */
export const publicPemOf = async (privateKeyPath: string): Promise<string> =>
  (await run('openssl', ['pkey', '-in', privateKeyPath, '-pubout'])).stdout;
