import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createDevicePublicKeyParser,
  decodeSignatureHeader,
  keyTypeLabel,
  parseDevicePublicKey,
  verifyDeviceSignature,
} from './pubkey.js';

const body = Buffer.from('{"id_data":"{\\"mac\\":\\"x\\"}","tenant_token":"","pubkey":"..."}\n');

const spki = (k: { export(o: object): string | Buffer }) =>
  k.export({ type: 'spki', format: 'pem' }).toString();

describe('device public keys', () => {
  it.each([
    ['rsa', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'rsa', 'sha256'],
    ['rsa3072', () => generateKeyPairSync('rsa', { modulusLength: 3072 }), 'rsa', 'sha256'],
    ['P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ecdsa-p256', 'sha256'],
    ['P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'ecdsa-p384', 'sha256'],
    ['P-521', () => generateKeyPairSync('ec', { namedCurve: 'P-521' }), 'ecdsa-p521', 'sha256'],
    ['ed25519', () => generateKeyPairSync('ed25519'), 'ed25519', null],
  ] as const)('accepts %s and verifies its signatures over the exact bytes', (_n, gen, type, hash) => {
    const { publicKey, privateKey } = gen();
    const key = parseDevicePublicKey(spki(publicKey));
    expect(key.type).toBe(type);
    const sig = sign(hash, body, privateKey);
    expect(verifyDeviceSignature(key, body, sig)).toBe(true);
    // Without the trailing newline the signature no longer matches (docs/compat/mender-device-auth.md).
    expect(verifyDeviceSignature(key, body.subarray(0, body.length - 1), sig)).toBe(false);
  });

  it('normalises PEM formatting and identifies equal keys by their DER', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const pem = spki(publicKey);
    const messy = pem.replace(/\n/g, '\r\n');
    expect(parseDevicePublicKey(messy).sha256).toBe(parseDevicePublicKey(pem).sha256);
    expect(parseDevicePublicKey(messy).pem).toBe(pem);
  });

  it('refuses RSA under 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => parseDevicePublicKey(spki(publicKey))).toThrow('at least 2048 bits');
  });

  it('refuses PKCS#1 "RSA PUBLIC KEY" PEM, like deviceauth', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(() => parseDevicePublicKey(pkcs1)).toThrow('cannot decode public key');
  });

  it.each([
    ['garbage', 'not a key'],
    ['bad base64', '-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n'],
    ['truncated', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n'],
    [
      'private key',
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ],
  ])('refuses %s', (_n, pem) => {
    expect(() => parseDevicePublicKey(pem)).toThrow();
  });

  it('refuses unsupported key types (X25519, Ed448, secp256k1)', () => {
    for (const pair of [
      generateKeyPairSync('x25519'),
      generateKeyPairSync('ed448'),
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }),
    ]) {
      expect(() => parseDevicePublicKey(spki(pair.publicKey))).toThrow(/unsupported/);
    }
  });

  it('decodes only strict padded standard base64 signature headers', () => {
    expect(decodeSignatureHeader('AAEC')?.toString('hex')).toBe('000102');
    expect(decodeSignatureHeader('AAE=')?.toString('hex')).toBe('0001');
    expect(decodeSignatureHeader('AAE')).toBeNull();
    expect(decodeSignatureHeader('AA-_')).toBeNull();
    expect(decodeSignatureHeader('')).toBeNull();
    expect(decodeSignatureHeader('A'.repeat(4096))).toBeNull();
  });

  it.each([
    ['rsa-2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['rsa-3072', () => generateKeyPairSync('rsa', { modulusLength: 3072 })],
    ['rsa-4096', () => generateKeyPairSync('rsa', { modulusLength: 4096 })],
    ['ec-p256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ec-p384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['ec-p521', () => generateKeyPairSync('ec', { namedCurve: 'P-521' })],
    ['ed25519', () => generateKeyPairSync('ed25519')],
  ] as const)('names a stored %s key by its type and size', (label, gen) => {
    const key = parseDevicePublicKey(spki(gen().publicKey));
    expect(keyTypeLabel(key.type, key.pem)).toBe(label);
  });

  it('names an RSA key whose PEM cannot be read just "rsa"', () => {
    expect(keyTypeLabel('rsa', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toBe('rsa');
  });
});

describe('createDevicePublicKeyParser', () => {
  it('parses a PEM once per parser, keeps the least recently used within its bound, caches no error', () => {
    const pems = [0, 1, 2].map(() => spki(generateKeyPairSync('ed25519').publicKey));
    const [a, b, c] = pems as [string, string, string];
    const parse = createDevicePublicKeyParser(2);
    const first = parse(a);
    expect(parse(a)).toBe(first);
    parse(b);
    parse(a);
    parse(c);
    expect(parse(a)).toBe(first);
    expect(createDevicePublicKeyParser(2)(a)).not.toBe(first);
    expect(() => parse('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow();
    expect(() => parse('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow();
  });
});
