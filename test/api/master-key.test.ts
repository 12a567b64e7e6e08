import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openGatehouse } from '../../src/wiring.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';

describe.each(dialects())('master key on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await (await openGatehouse(loadConfig({ dataDir: db.dataDir, databaseUrl: db.url }, {}))).close();
  });
  afterAll(() => db.drop());

  it('is reused on restart, and a database with sealed keys never gets a new one', async () => {
    const again = await openGatehouse(loadConfig({ dataDir: db.dataDir, databaseUrl: db.url }, {}));
    await again.close();
    const elsewhere = mkdtempSync(join(tmpdir(), 'gh-wrong-'));
    await expect(openGatehouse(loadConfig({ dataDir: elsewhere, databaseUrl: db.url }, {}))).rejects.toThrow(
      /database already holds secrets sealed with a master key/,
    );
    expect(existsSync(join(elsewhere, 'master.key'))).toBe(false);
  });
});
