import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm test` runs every test file; test:unit, test:api and test:e2e split the same files into
// three runs, each file in exactly one (vitest takes each argument as a path filter).

const root = join(import.meta.dirname, '..');
const scripts = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

const testFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts') && !e.parentPath.includes('node_modules'))
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1));

describe('test scripts', () => {
  it('split every test file into exactly one of test:unit, test:api and test:e2e', () => {
    const parts = ['test:unit', 'test:api', 'test:e2e'].map((name) => {
      const cmd = scripts[name] ?? '';
      expect(cmd.startsWith('vitest run '), name).toBe(true);
      return { name, filters: cmd.slice('vitest run '.length).split(/\s+/) };
    });
    const files = [...testFiles('src'), ...testFiles('test'), ...testFiles('web/src')];
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const owners = parts.filter((p) => p.filters.some((f) => file.includes(f))).map((p) => p.name);
      expect(owners, file).toHaveLength(1);
    }
    expect(scripts.test).toBe('vitest run');
  });
});
