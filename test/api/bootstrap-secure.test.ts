import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cfbEncrypt } from '../../src/bootstrap/index.js';
import { runCli } from '../../src/cli/cli.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { dialects } from '../helpers/databases.js';
import {
  type BootstrapFixture,
  type BsTenant,
  newExternalId,
  refusalOf,
  startBootstrap,
} from './bootstrap-setup.js';

/** openssl enc, an implementation independent of ours: raw bytes in, raw bytes out. */
const openssl = (decrypt: boolean, bits: number, key: Buffer, iv: Buffer, input: Buffer): Buffer =>
  execFileSync(
    'openssl',
    [
      'enc',
      ...(decrypt ? ['-d'] : []),
      `-aes-${bits}-cfb`,
      '-K',
      key.toString('hex'),
      '-iv',
      iv.toString('hex'),
    ],
    { input },
  );

const KEYS = {
  128: 'v7aT0HGxJxt2gULz',
  192: 'v7aT0HGxJxt2gULzr3RHwf4W',
  256: 'v7aT0HGxJxt2gULzr3RHwf4WIf6DusPp',
} as const;

describe.each(dialects())("Magistrala's secure bootstrap on %s", (dialect) => {
  describe.each(Object.entries(KEYS))('AES-%s', (bits, keyText) => {
    const key = Buffer.from(keyText);
    let f: BootstrapFixture;
    let tenant: BsTenant;
    beforeAll(async () => {
      f = await startBootstrap(dialect, { flags: { bootstrapEncryptKey: keyText } });
      tenant = await f.newTenant('secure');
    });
    afterAll(() => f.close());

    it('accepts a header encrypted by openssl and answers what openssl decrypts', async () => {
      const eid = newExternalId();
      const externalKey = `ext-key-${randomBytes(6).toString('hex')}`;
      const channel = await f.createChannel(tenant, `ch-${eid}`);
      const id = await f.createConfig(tenant, {
        external_id: eid,
        external_key: externalKey,
        channels: [channel],
        content: 'secure content',
        client_key: 'PRIVATE',
      });
      await f.setState(tenant, id, 1);
      const iv = randomBytes(16);
      const header = Buffer.concat([
        iv,
        openssl(false, Number(bits), key, iv, Buffer.from(externalKey)),
      ]).toString('hex');
      const res = await f.fetchSecure(eid, header);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      const raw = res.rawPayload;
      expect(raw.length).toBeGreaterThan(16);
      const plain = openssl(true, Number(bits), key, raw.subarray(0, 16), raw.subarray(16));
      expect(JSON.parse(plain.toString('utf8'))).toEqual({
        client_id: id,
        client_secret: expect.any(String),
        channels: [{ id: channel, name: `ch-${eid}` }],
        content: 'secure content',
        client_key: 'PRIVATE',
      });
      // Upper-case hex, as Go's hex decoder accepts.
      expect((await f.fetchSecure(eid, header.toUpperCase())).statusCode).toBe(200);
      // The plain route still works with the same config.
      expect((await f.fetchPlain(eid, externalKey)).statusCode).toBe(200);
    });

    it('refuses an unknown id, a wrong key, a held config and a garbled header alike', async () => {
      const eid = newExternalId();
      const id = await f.createConfig(tenant, { external_id: eid, external_key: 'right', held: true });
      const enc = (k: string) => cfbEncrypt(key, Buffer.from(k)).toString('hex');
      const disabled = await f.fetchSecure(eid, enc('right'), '10.9.0.1');
      const released = await f.mgmt(tenant, 'PUT', `/clients/configs/${id}/hold`, { held: false });
      expect(released.statusCode, released.body).toBe(200);
      const answers = [
        await f.fetchSecure(newExternalId(), enc('right'), '10.9.0.2'),
        await f.fetchSecure(eid, enc('wrong'), '10.9.0.3'),
        await f.fetchSecure(eid, 'not hex at all', '10.9.0.4'),
        await f.fetchSecure(eid, 'abcd', '10.9.0.5'),
        await f.fetchSecure(
          eid,
          cfbEncrypt(Buffer.from('K'.repeat(key.length)), Buffer.from('right')).toString('hex'),
          '10.9.0.6',
        ),
      ];
      for (const a of answers) expect(refusalOf(a)).toEqual(refusalOf(disabled));
      expect(refusalOf(disabled).status).toBe(403);
      expect((await f.fetchSecure(eid, enc('right'), '10.9.0.7')).statusCode).toBe(200);
    });
  });

  describe('without a key', () => {
    let f: BootstrapFixture;
    beforeAll(async () => {
      f = await startBootstrap(dialect);
    });
    afterAll(() => f.close());

    it('answers secure requests with a clear 404', async () => {
      const res = await f.fetchSecure(newExternalId(), 'ab'.repeat(20));
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatch(/secure bootstrap is not enabled/);
    });
  });
});

describe('secure-mode key validation at start-up', () => {
  it('accepts 16, 24 and 32 bytes and refuses anything else, naming the setting', () => {
    for (const k of Object.values(KEYS))
      expect(loadConfig({ bootstrapEncryptKey: k }, {}).bootstrapEncryptKey).toBe(k);
    expect(loadConfig({}, { GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY: KEYS[128] }).bootstrapEncryptKey).toBe(
      KEYS[128],
    );
    for (const bad of ['short', 'x'.repeat(50), 'x'.repeat(31)]) {
      expect(() => loadConfig({ bootstrapEncryptKey: bad }, {})).toThrow(ConfigError);
      expect(() => loadConfig({}, { GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY: bad })).toThrow(
        /--bootstrap-encrypt-key \/ GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY: must be 16, 24 or 32 bytes/,
      );
    }
  });

  it('reads the key from a file, and refuses both at once', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'gh-enc-'));
    writeFileSync(join(dir, 'good'), `${KEYS[256]}\n`);
    writeFileSync(join(dir, 'bad'), 'too short\n');
    expect(loadConfig({ bootstrapEncryptKeyFile: join(dir, 'good') }, {}).bootstrapEncryptKey).toBe(
      KEYS[256],
    );
    expect(() => loadConfig({ bootstrapEncryptKeyFile: join(dir, 'bad') }, {})).toThrow(
      /must be 16, 24 or 32 bytes \(AES-128\/192\/256\), got 9/,
    );
    expect(() => loadConfig({ bootstrapEncryptKeyFile: join(dir, 'none') }, {})).toThrow(ConfigError);
    expect(() =>
      loadConfig({ bootstrapEncryptKeyFile: join(dir, 'good'), bootstrapEncryptKey: KEYS[128] }, {}),
    ).toThrow(/not both/);
  });

  it('stops `gatehouse serve` before it opens anything', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const code = await runCli([
        'node',
        'gatehouse',
        'serve',
        '--bootstrap-encrypt-key',
        'nope',
        '--data-dir',
        '/nonexistent/x',
      ]);
      expect(code).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toMatch(
      /configuration error: invalid --bootstrap-encrypt-key .* must be 16, 24 or 32 bytes \(AES-128\/192\/256\), got 4/,
    );
  });
});
