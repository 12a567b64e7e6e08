import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { csvField, fingerprintOf, manifestHeader, manifestLine, spkiPem } from './keygen-manifest.js';
import type { KeygenPlan } from './keygen-plan.js';
import { parseIdentityOption } from './keygen-template.js';

const plan = (over: Partial<KeygenPlan> = {}): KeygenPlan => ({
  count: 2,
  keyType: 'ed25519',
  rsaBits: 3072,
  identity: [parseIdentityOption('serialnumber=SN-{seq:06}'), parseIdentityOption('mac={mac}')],
  seqStart: 1,
  macStart: 2,
  group: undefined,
  tags: [],
  format: 'jsonl',
  ...over,
});

const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'der',
});
const identity: [string, string][] = [
  ['serialnumber', 'SN-000001'],
  ['mac', '02:00:00:00:00:01'],
];

describe('manifest lines', () => {
  it('JSONL: identity, SPKI PEM, fingerprint; group and tags only when given', () => {
    const line = manifestLine(plan(), identity, spki);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const entry = JSON.parse(line);
    expect(Object.keys(entry)).toEqual(['identity', 'pubkey', 'fingerprint']);
    expect(entry.identity).toEqual({ serialnumber: 'SN-000001', mac: '02:00:00:00:00:01' });
    expect(entry.pubkey).toBe(
      createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }),
    );
    expect(entry.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(entry.fingerprint).toBe(fingerprintOf(spki));

    const labelled = JSON.parse(
      manifestLine(
        plan({
          group: 'line-a',
          tags: [
            ['batch', '2026-12'],
            ['site', 'b'],
          ],
        }),
        identity,
        spki,
      ),
    );
    expect(labelled.group).toBe('line-a');
    expect(labelled.tags).toEqual({ batch: '2026-12', site: 'b' });
    expect(manifestHeader(plan())).toBe('');
  });

  it('CSV: header of identity.<name>, pubkey, fingerprint, group, tag.<name>; base64 SPKI DER on one line', () => {
    const p = plan({ format: 'csv', group: 'line-a', tags: [['batch', '2026-12']] });
    expect(manifestHeader(p)).toBe('identity.serialnumber,identity.mac,pubkey,fingerprint,group,tag.batch\n');
    const row = manifestLine(p, identity, spki);
    expect(row).toBe(
      `SN-000001,02:00:00:00:00:01,${spki.toString('base64')},${fingerprintOf(spki)},line-a,2026-12\n`,
    );
    expect(manifestHeader(plan({ format: 'csv' }))).toBe(
      'identity.serialnumber,identity.mac,pubkey,fingerprint\n',
    );
  });

  it('CSV quotes what RFC 4180 needs quoted', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField('')).toBe('');
    const p = plan({ format: 'csv', identity: [parseIdentityOption('name,with comma=x{seq}')] });
    expect(manifestHeader(p)).toBe('"identity.name,with comma",pubkey,fingerprint\n');
    expect(manifestLine(p, [['name,with comma', 'a"b']], spki).startsWith('"a""b",')).toBe(true);
  });

  it('SPKI PEM has 64-character lines and a final newline, as node and openssl print it', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const der = rsa.export({ type: 'spki', format: 'der' });
    expect(spkiPem(der)).toBe(rsa.export({ type: 'spki', format: 'pem' }));
  });
});
