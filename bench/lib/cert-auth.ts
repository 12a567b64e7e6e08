import { createPublicKey, verify, webcrypto, X509Certificate } from 'node:crypto';
import { x509 } from '../../src/pki/pki-x509.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import type { Gatehouse } from '../../src/wiring.js';
import { makeDeviceKeys } from '../../test/helpers/device-client.js';
import { makeSignedAuthRequest, type SignedAuthRequest } from './gatehouse.js';
import { type MicroResult, timeSync } from './micro.js';
import { AUTH_PATH } from './wire.js';

/**
 * Certificate-based admission (ADR 11) through an edge proxy: the device's auth request carries
 * its client certificate in a header that Gatehouse believes only from a trusted proxy.
 */

/** The header the bench server takes client certificates from (GATEHOUSE_CLIENT_CERT_HEADER). */
export const CLIENT_CERT_HEADER = 'X-Client-Cert';
/**
 * The bench server trusts the load generator's address (GATEHOUSE_TRUSTED_PROXIES): it connects
 * to 127.0.0.1, so that is the peer address the server sees.
 */
export const LOAD_GENERATOR_ADDRESS = '127.0.0.1';
/** Flags for startBenchServer: what an install behind an nginx that terminates mTLS sets. */
export const certProxyFlags = {
  trustedProxies: LOAD_GENERATOR_ADDRESS,
  clientCertHeader: CLIENT_CERT_HEADER,
};

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface CertDevice {
  /** The signed auth request (device key = the leaf's key, as the Mender client uses its mTLS key). */
  req: SignedAuthRequest;
  /** Registration id: the leaf's CN, so the device's identity is {"DeviceId": cn}. */
  cn: string;
  caPem: string;
  leafPem: string;
  /** Header value as nginx's `$ssl_client_escaped_cert` sends it: the URL-encoded leaf PEM. */
  headerValue: string;
  /** Signs a proof-of-possession certificate (CN = the CA's verification code). */
  signProof(code: string): Promise<string>;
}

/**
 * A device CA (ECDSA P-256, self-signed root) and one device certificate it signed (ECDSA P-256
 * key, ECDSA-with-SHA256 signature, clientAuth), with the device's signed auth request.
 */
export const makeCertDevice = async (seq: number): Promise<CertDevice> => {
  const subtle = webcrypto.subtle;
  const caKeys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const notBefore = new Date(now - DAY_MS);
  const notAfter = new Date(now + 365 * DAY_MS);
  const caName = 'CN=Gatehouse bench device CA,O=Bench';
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: caName,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const issue = async (subject: string, publicKey: webcrypto.CryptoKey, serial: string, leafExts: boolean) =>
    x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        ...(leafExts
          ? [
              new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
              new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
            ]
          : []),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });

  const keys = makeDeviceKeys('ec');
  const devicePublic = await subtle.importKey(
    'spki',
    createPublicKey(keys.publicPem).export({ type: 'spki', format: 'der' }),
    EC_P256,
    true,
    ['verify'],
  );
  const cn = `bench-cert-device-${seq.toString().padStart(6, '0')}`;
  const leaf = await issue(`CN=${cn},O=Bench`, devicePublic, '1000', true);
  const leafPem = `${leaf.toString('pem')}\n`;
  let proofSerial = 0x2000;
  return {
    // What the client sends as identity is ignored for such devices; it is the usual padded one.
    req: makeSignedAuthRequest('ec', seq, keys),
    cn,
    caPem: `${ca.toString('pem')}\n`,
    leafPem,
    headerValue: encodeURIComponent(leafPem),
    signProof: async (code) => {
      const proofKeys = (await subtle.generateKey(EC_P256, true, [
        'sign',
        'verify',
      ])) as webcrypto.CryptoKeyPair;
      const proof = await issue(`CN=${code}`, proofKeys.publicKey, (proofSerial++).toString(16), false);
      return `${proof.toString('pem')}\n`;
    },
  };
};

export interface CertBaseline {
  /** Leaf signature checked with the CA's already-imported key (X509Certificate.verify). */
  chainVerify: MicroResult;
  /** The auth request's signature, as in baseline A (crypto.verify, already-imported key). */
  authVerify: MicroResult;
  /** Both, one after the other: the crypto an auth request with a certificate cannot avoid. */
  both: MicroResult;
  headerBytes: number;
  bodyBytes: number;
}

/** Baseline of the client-certificate case: its unavoidable signature verifications, one thread. */
export const measureCertBaseline = (dev: CertDevice, ms: number): CertBaseline => {
  const leaf = new X509Certificate(dev.leafPem);
  const caKey = new X509Certificate(dev.caPem).publicKey;
  const deviceKey = createPublicKey(dev.req.keys.publicPem);
  const sig = Buffer.from(dev.req.signature, 'base64');
  const body = dev.req.authBody;
  const chain = () => leaf.verify(caKey);
  const auth = () => verify('sha256', body, deviceKey, sig);
  if (!chain() || !auth()) throw new Error('client certificate baseline: a signature does not verify');
  return {
    chainVerify: timeSync(chain, ms),
    authVerify: timeSync(auth, ms),
    both: timeSync(() => chain() && auth(), ms * 2),
    headerBytes: dev.headerValue.length,
    bodyBytes: body.length,
  };
};

/** The HTTP request of the certificate case (as the edge proxy forwards it). */
export const certAuthRequest = (dev: CertDevice) => ({
  path: AUTH_PATH,
  headers: {
    'content-type': 'application/json',
    authorization: 'Bearer ',
    'x-men-signature': dev.req.signature,
    [CLIENT_CERT_HEADER.toLowerCase()]: dev.headerValue,
  },
  // Auth request bodies are ASCII (Go's encoder escapes the rest), so a string is byte-exact.
  body: dev.req.authBody.toString('utf8'),
});

/**
 * Registers the device CA in the default tenant and proves possession (the management API's
 * `POST /pki/cas` + `/verification`, through the services), then sends the device's first auth
 * request over HTTP from this process (a loopback peer, so a trusted proxy): the device is
 * admitted and gets a token. A second request must get one too (the steady state measured).
 */
export const admitCertDevice = async (gh: Gatehouse, url: string, dev: CertDevice): Promise<void> => {
  const ca = await gh.pki.cas.register(DEFAULT_TENANT_ID, {
    certificate: dev.caPem,
    name: 'bench device CA',
  });
  if (!ca.verificationCode) throw new Error('registered CA has no verification code');
  await gh.pki.cas.verify(DEFAULT_TENANT_ID, ca.id, {
    certificate: await dev.signProof(ca.verificationCode),
  });
  const r = certAuthRequest(dev);
  let token = '';
  for (const attempt of ['admission', 'second request']) {
    const res = await fetch(`${url}${r.path}`, { method: 'POST', headers: r.headers, body: r.body });
    token = await res.text();
    if (res.status !== 200 || token.split('.').length !== 3)
      throw new Error(`client certificate ${attempt}: ${res.status} ${token.slice(0, 300)}`);
  }
  // Admitted by the certificate, not by what the request says: identity {"DeviceId": CN}.
  const { sub } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    sub: string;
  };
  const device = await gh.devauth.admin.getDevice(DEFAULT_TENANT_ID, sub);
  if (
    JSON.stringify(device.identity) !== JSON.stringify({ DeviceId: dev.cn }) ||
    device.status !== 'accepted'
  )
    throw new Error(
      `client certificate admission: device ${JSON.stringify(device.identity)} is ${device.status}`,
    );
};
