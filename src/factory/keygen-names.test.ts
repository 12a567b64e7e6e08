import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyFileName } from './keygen-names.js';
import type { DeviceIdentity } from './keygen-plan.js';

const id = (...pairs: [string, string][]): DeviceIdentity => pairs;

describe('key file names', () => {
  it('spells safe values as they are, joined by "_"', () => {
    expect(keyFileName(id(['serialnumber', 'SN-000042']))).toBe('SN-000042.pem');
    expect(keyFileName(id(['sn', 'SN-1'], ['model', 'x1.v2']))).toBe('SN-1_x1.v2.pem');
  });

  it('replaces unsafe characters and appends a digest of the identity', () => {
    const identity = id(['serialnumber', 'SN-000001'], ['mac', '02:00:00:00:00:01']);
    const digest = createHash('sha256')
      .update('{"serialnumber":"SN-000001","mac":"02:00:00:00:00:01"}')
      .digest('hex')
      .slice(0, 16);
    expect(keyFileName(identity)).toBe(`SN-000001_02-00-00-00-00-01~${digest}.pem`);
  });

  it('never maps two different identities to the same name', () => {
    // Pairs a plain "replace unsafe characters" or "join values" scheme would confuse.
    const confusable: DeviceIdentity[] = [
      id(['mac', '02:00:00:00:00:01']),
      id(['mac', '02-00-00-00-00-01']),
      id(['mac', '02/00/00/00/00/01']),
      id(['a', 'x_y']),
      id(['a', 'x'], ['b', 'y']),
      id(['a', 'x-y']),
      id(['a', 'x y']),
      id(['a', 'x'], ['b', '']),
      id(['a', 'x_']),
      id(['a', '']),
      id(['a', '-']),
      id(['a', '.']),
      id(['a', '..']),
      id(['a', '.hidden']),
      id(['a', 'A'.repeat(200)]),
      id(['a', `${'A'.repeat(199)}B`]),
      id(['a', 'SN~1']),
      id(['a', 'SN-1~0000000000000000']),
      id(['b', 'x y']),
    ];
    const names = confusable.map(keyFileName);
    expect(new Set(names).size).toBe(confusable.length);
  });

  it('gives names that are safe on any filesystem and never hidden, empty or too long', () => {
    for (const identity of [
      id(['a', '']),
      id(['a', '../../etc/passwd']),
      id(['a', '.ssh']),
      id(['a', '-rf']),
      id(['a', 'ünïcødé']),
      id(['a', 'x'.repeat(4000)]),
      id(['a', 'C:\\dev\\null'], ['b', 'a\u0000b']),
    ]) {
      const name = keyFileName(identity);
      expect(name).toMatch(/^[A-Za-z0-9.~_-]+\.pem$/);
      expect(name.startsWith('.')).toBe(false);
      expect(name.length).toBeLessThanOrEqual(255);
    }
  });

  it('is deterministic', () => {
    const identity = id(['sn', 'SN 1']);
    expect(keyFileName(identity)).toBe(keyFileName([...identity]));
  });
});
