import { describe, expect, it } from 'vitest';
import { deviceIdentity } from './keygen-plan.js';
import { buildPlan, type KeygenOptions, MAX_COUNT } from './keygen-validate.js';

const opts = (over: Partial<KeygenOptions> = {}): KeygenOptions => ({
  count: 3,
  keyType: 'ed25519',
  identity: ['serialnumber=SN-{seq:06}'],
  seqStart: 1,
  tags: [],
  format: 'jsonl',
  ...over,
});

describe('buildPlan', () => {
  it('derives every device identity from its index', () => {
    const plan = buildPlan(
      opts({
        identity: ['serialnumber=SN-{seq:04}', 'mac={mac}', 'model=x1'],
        seqStart: 99,
        macStart: '02:00:00:00:00:FF',
      }),
    );
    expect(deviceIdentity(plan, 0)).toEqual([
      ['serialnumber', 'SN-0099'],
      ['mac', '02:00:00:00:00:ff'],
      ['model', 'x1'],
    ]);
    expect(deviceIdentity(plan, 2)).toEqual([
      ['serialnumber', 'SN-0101'],
      ['mac', '02:00:00:00:01:01'],
      ['model', 'x1'],
    ]);
  });

  it('defaults RSA to 3072 bits and bounds --bits', () => {
    expect(buildPlan(opts({ keyType: 'rsa' })).rsaBits).toBe(3072);
    expect(buildPlan(opts({ keyType: 'rsa', rsaBits: 2048 })).rsaBits).toBe(2048);
    expect(() => buildPlan(opts({ keyType: 'rsa', rsaBits: 1024 }))).toThrow(
      '--bits must be from 2048 to 8192',
    );
    expect(() => buildPlan(opts({ keyType: 'ec', rsaBits: 2048 }))).toThrow('--bits is for RSA keys only');
  });

  it('bounds --count and --seq-start', () => {
    expect(() => buildPlan(opts({ count: 0 }))).toThrow('--count must be from 1 to 10,000,000');
    expect(() => buildPlan(opts({ count: MAX_COUNT + 1 }))).toThrow('--count');
    expect(() => buildPlan(opts({ seqStart: Number.MAX_SAFE_INTEGER }))).toThrow('--seq-start is too large');
  });

  it('refuses a run whose devices would share an identity, before any key is made', () => {
    expect(() => buildPlan(opts({ identity: ['serialnumber=SN-1', 'model=x1'] }))).toThrow(
      'with --count 3 every device needs its own identity: put {seq} or {mac} in an --identity template',
    );
    expect(buildPlan(opts({ count: 1, identity: ['serialnumber=SN-1'] })).count).toBe(1);
    expect(() => buildPlan(opts({ identity: [] }))).toThrow('at least one --identity');
    expect(() => buildPlan(opts({ identity: ['sn=a{seq}', 'sn=b'] }))).toThrow(
      '--identity "sn" is given twice',
    );
  });

  it('needs --mac-start exactly when a template uses {mac}, and a range that fits', () => {
    expect(() => buildPlan(opts({ identity: ['mac={mac}'] }))).toThrow('uses {mac}: give --mac-start');
    expect(() => buildPlan(opts({ macStart: '02:00:00:00:00:01' }))).toThrow(
      'no --identity template uses {mac}',
    );
    expect(() => buildPlan(opts({ identity: ['mac={mac}'], macStart: 'ff:ff:ff:ff:ff:fe' }))).toThrow(
      'the range would pass ff:ff:ff:ff:ff:ff',
    );
    expect(() => buildPlan(opts({ identity: ['mac={mac}'], macStart: '02:00:00' }))).toThrow(
      'is not a MAC address',
    );
  });

  it('refuses identities a device cannot send or devauth would refuse', () => {
    expect(() => buildPlan(opts({ identity: ['sn=SN-{seq}\n'] }))).toThrow('control characters');
    expect(() => buildPlan(opts({ identity: ['sn=SN-{seq}', 'x\u0000=1'] }))).toThrow('control characters');
    expect(() => buildPlan(opts({ identity: [`sn=${'x'.repeat(5000)}{seq}`] }))).toThrow(
      'identity of device 1: identity data is larger than 4096 bytes',
    );
    const many = Array.from({ length: 65 }, (_, i) => `a${i}={seq}`);
    expect(() => buildPlan(opts({ identity: many }))).toThrow('more than 64 attributes');
    // The last device is the longest: 4096 bytes fit for device 1 but not for device 10.
    const exact = 4096 - '{"sn":""}'.length - 1;
    expect(() => buildPlan(opts({ count: 10, identity: [`sn=${'x'.repeat(exact)}{seq}`] }))).toThrow(
      'identity of device 10',
    );
  });

  it('checks the group and tags with the server rules', () => {
    expect(buildPlan(opts({ group: 'line-a_2' })).group).toBe('line-a_2');
    expect(() => buildPlan(opts({ group: 'line a' }))).toThrow('--group "line a"');
    expect(() => buildPlan(opts({ group: '' }))).toThrow('--group');
    expect(buildPlan(opts({ tags: ['batch=2026-12', 'empty=', 'eq=a=b'] })).tags).toEqual([
      ['batch', '2026-12'],
      ['empty', ''],
      ['eq', 'a=b'],
    ]);
    expect(() => buildPlan(opts({ tags: ['novalue'] }))).toThrow('expected name=value');
    expect(() => buildPlan(opts({ tags: ['=x'] }))).toThrow('expected name=value');
    expect(() => buildPlan(opts({ tags: ['a=1', 'a=2'] }))).toThrow('--tag "a" is given twice');
    expect(() => buildPlan(opts({ tags: [`n=${'v'.repeat(4097)}`] }))).toThrow('value up to 4096');
    expect(() => buildPlan(opts({ tags: ['n=a\u0000'] }))).toThrow('NUL');
    expect(() => buildPlan(opts({ tags: Array.from({ length: 21 }, (_, i) => `t${i}=v`) }))).toThrow(
      'at most 20 --tag options',
    );
  });
});
