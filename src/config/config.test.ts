import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { scopes, settings } from './config-schema.js';

describe('config', () => {
  it('defaults to SQLite under ./data on 0.0.0.0:8080', () => {
    const c = loadConfig({}, {});
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(c.dataDir).toMatch(/\/data$/);
    expect(c.databaseUrl).toBe(`sqlite:${c.dataDir}/gatehouse.db`);
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
    expect(c.masterKeyFile).toBe(`${c.dataDir}/master.key`);
    expect(c.deviceTokenTtlSeconds).toBe(604800);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('takes the environment, and flags over the environment', () => {
    const env = {
      GATEHOUSE_LISTEN: '127.0.0.1:9000',
      GATEHOUSE_DEVICE_TOKEN_TTL_SECONDS: '3600',
      GATEHOUSE_DATA_DIR: '/tmp/x',
    };
    expect(loadConfig({}, env).listen).toEqual({ host: '127.0.0.1', port: 9000 });
    const c = loadConfig({ listen: '[::1]:9001' }, env);
    expect(c.listen).toEqual({ host: '::1', port: 9001 });
    expect(c.publicUrl).toBe('http://[::1]:9001');
    expect(c.deviceTokenTtlSeconds).toBe(3600);
    expect(c.databaseUrl).toBe('sqlite:/tmp/x/gatehouse.db');
  });

  it.each([
    [{ listen: 'nonsense' }, /--listen \/ GATEHOUSE_LISTEN/],
    [{ listen: '1.2.3.4:99999' }, /port out of range/],
    [{ databaseUrl: 'mysql://x' }, /--database-url/],
    [{ deviceTokenTtlSeconds: '10' }, /\[60, /],
    [{ deviceTokenTtlSeconds: '1e5' }, /integer/],
    [{ logLevel: 'loud' }, /one of/],
    [{ publicUrl: 'ftp://x' }, /http\(s\) URL/],
  ])('rejects %j with a message naming the setting', (flags, message) => {
    expect(() => loadConfig(flags, {})).toThrow(ConfigError);
    expect(() => loadConfig(flags, {})).toThrow(message);
  });

  it('has one Config field per setting of the table, and only the facts that are not settings besides', () => {
    const keys = Object.keys(settings);
    expect(Object.keys(loadConfig({}, {})).sort()).toEqual([...keys, 'publicUrlConfigured'].sort());
  });

  it('names each entry by its key, with its own variable and flag, in a scope', () => {
    for (const [key, s] of Object.entries(settings)) {
      expect(s.key).toBe(key);
      expect(s.env).toBe(`GATEHOUSE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
      expect(s.flag).toBe(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      expect(Object.keys(scopes)).toContain(s.scope);
    }
  });

  it('parses the documented default of every setting that has no resolve step', () => {
    for (const s of Object.values(settings)) {
      if ('resolve' in s) continue;
      expect(() => s.parse(s.defaultText), s.key).not.toThrow();
    }
    // The basis of the computed defaults has plain defaults itself.
    expect('resolve' in settings.dataDir || 'resolve' in settings.listen).toBe(false);
  });
});
