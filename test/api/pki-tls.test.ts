import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server.js';
import { createTestDatabase } from '../helpers/databases.js';
import { hasTool, makeRootCa, pkiDir, signWith } from '../helpers/openssl.js';

const ready = hasTool('openssl');

describe.skipIf(!ready)('TLS listener settings', () => {
  it('refuses to start with a key that does not match the certificate, or a missing file', async () => {
    const dir = pkiDir();
    const ca = makeRootCa(dir, 'tls-ca');
    const a = signWith(dir, ca, 'tls-a', { ext: 'basicConstraints=CA:FALSE' });
    const b = signWith(dir, ca, 'tls-b', { ext: 'basicConstraints=CA:FALSE' });
    const db = await createTestDatabase('sqlite');
    try {
      const flags = {
        dataDir: db.dataDir,
        databaseUrl: db.url,
        listen: '127.0.0.1:0',
        tlsListen: '127.0.0.1:0',
      };
      await expect(
        startServer(loadConfig({ ...flags, tlsCertFile: a.crt, tlsKeyFile: b.key, logLevel: 'silent' }, {})),
      ).rejects.toThrow(/invalid TLS certificate\/key/);
      await expect(
        startServer(
          loadConfig(
            { ...flags, tlsCertFile: join(dir, 'nope.crt'), tlsKeyFile: a.key, logLevel: 'silent' },
            {},
          ),
        ),
      ).rejects.toThrow(/cannot read the TLS certificate file/);
    } finally {
      await db.drop();
    }
  });
});
