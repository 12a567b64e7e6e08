import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The module boundaries of ADR 6 (docs/adr/0006-layout.md), checked on every relative import,
// re-export and import() under src/ (type-only ones too: the same dependency, only erased later).

/**
 * Shared layers: their files are imported one by one. The value lists what a layer may import
 * besides itself; `'any'`: every shared layer and every domain's index.ts.
 */
const SHARED_LAYERS: Record<string, readonly string[] | 'any'> = {
  core: [], // knows no domain: the bottom layer
  config: ['core'],
  store: ['core'],
  tokens: ['core', 'store'], // ADR 6: knows no domain
  http: 'any', // the auth plugins know users' and devauth's principals
};
/** Composition: the files directly in src/ (entry, app, wiring, server) and the CLI commands. */
const COMPOSITION = new Set(['', 'cli']);
const MIGRATIONS = 'src/store/migrations/';

interface SourceFile {
  /** Path from the repository root with forward slashes, e.g. `src/devauth/identity.ts`. */
  path: string;
  source: string;
}

/** `src/devauth/identity.ts` → `devauth`; a file directly in src/ → ''. */
const areaOf = (path: string): string => {
  const parts = path.split('/');
  return parts.length > 2 ? (parts[1] ?? '') : '';
};

/** Relative specifiers of every import, re-export and import() in a TypeScript source. */
const importSpecifiers = (source: string): string[] =>
  ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('.'));

/**
 * Every import in `files` that crosses a boundary, as `from: message`. Domains are the folders
 * under src/ that are neither a shared layer nor composition; each needs an index.ts, the only file
 * of it that code outside it imports.
 */
const checkBoundaries = (files: readonly SourceFile[]): string[] => {
  const problems: string[] = [];
  const paths = new Set(files.map((f) => f.path));
  const isDomain = (area: string) => !(area in SHARED_LAYERS) && !COMPOSITION.has(area);
  const domains = new Set(files.map((f) => areaOf(f.path)).filter(isDomain));
  for (const domain of [...domains].sort()) {
    if (!paths.has(`src/${domain}/index.ts`)) {
      problems.push(
        `src/${domain}/: a domain needs an index.ts (or, if it knows no domain, a place in SHARED_LAYERS and ADR 6)`,
      );
    }
  }
  for (const file of files) {
    const from = areaOf(file.path);
    for (const specifier of importSpecifiers(file.source)) {
      const target = posix.normalize(posix.join(posix.dirname(file.path), specifier)).replace(/\.js$/, '.ts');
      const report = (why: string) => problems.push(`${file.path}: imports '${specifier}': ${why}`);
      if (file.path.startsWith(MIGRATIONS) && !target.startsWith(MIGRATIONS)) {
        report('a migration imports no app code (ADR 12)');
        continue;
      }
      if (!target.startsWith('src/')) continue;
      const to = areaOf(target);
      if (to === from) continue;
      if (COMPOSITION.has(to)) {
        if (!COMPOSITION.has(from)) report('only the composition code (src/*.ts, src/cli/) imports it');
        continue;
      }
      const allowed = SHARED_LAYERS[from];
      if (allowed !== undefined && allowed !== 'any' && !allowed.includes(to)) {
        report(`src/${from}/ imports only ${[from, ...allowed].map((a) => `src/${a}/`).join(', ')}`);
        continue;
      }
      if (isDomain(to) && target !== `src/${to}/index.ts`) {
        report(`other code uses src/${to}/ only through its index.ts`);
      }
    }
  }
  return problems;
};

const root = join(import.meta.dirname, '..');

const sourceFiles = (): SourceFile[] =>
  readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => {
      const full = join(e.parentPath, e.name);
      return {
        path: full
          .slice(root.length + 1)
          .split('\\')
          .join('/'),
        source: readFileSync(full, 'utf8'),
      };
    });

describe('module boundaries', () => {
  it('hold for every file under src/', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(300);
    expect(checkBoundaries(files)).toEqual([]);
  });

  it('flag an import of another domain’s inner file, and only that', () => {
    const files: SourceFile[] = [
      { path: 'src/devauth/index.ts', source: "export { x } from './devauth-x.js';" },
      { path: 'src/devauth/devauth-x.ts', source: "export const x = 1;\nimport './sub/deep.js';" },
      { path: 'src/devauth/sub/deep.ts', source: "import '../../core/ids.js';" },
      { path: 'src/core/ids.ts', source: 'export const id = 1;' },
      {
        path: 'src/users/users-service.ts',
        source: [
          "import { x } from '../devauth/index.js';",
          "import type { X } from '../devauth/devauth-x.js';",
          "export { x as y } from '../devauth/devauth-x.js';",
          "const lazy = () => import('../devauth/sub/deep.js');",
          "import { id } from '../core/ids.js';",
        ].join('\n'),
      },
      { path: 'src/users/index.ts', source: "export * from './users-service.js';" },
    ];
    expect(checkBoundaries(files)).toEqual([
      "src/users/users-service.ts: imports '../devauth/devauth-x.js': other code uses src/devauth/ only through its index.ts",
      "src/users/users-service.ts: imports '../devauth/devauth-x.js': other code uses src/devauth/ only through its index.ts",
      "src/users/users-service.ts: imports '../devauth/sub/deep.js': other code uses src/devauth/ only through its index.ts",
    ]);
  });

  it('flag layers that reach up, composition imports, migrations importing app code and domains without index.ts', () => {
    const files: SourceFile[] = [
      { path: 'src/core/clock.ts', source: "import '../users/index.js';\nimport '../store/store.js';" },
      { path: 'src/tokens/token-kit.ts', source: "import '../core/clock.js';\nimport '../http/types.js';" },
      { path: 'src/http/types.ts', source: "import type { U } from '../users/index.js';" },
      { path: 'src/users/index.ts', source: "import '../wiring.js';\nimport '../cli/cli.js';" },
      { path: 'src/cli/cli.ts', source: "import '../wiring.js';\nimport '../users/index.js';" },
      { path: 'src/wiring.ts', source: "import './users/index.js';\nimport './http/types.js';" },
      { path: 'src/store/migrations/0001-x.ts', source: "import '../store.js';\nimport './0000-y.js';" },
      { path: 'src/store/store.ts', source: "import '../core/clock.js';" },
      { path: 'src/webhooks/webhooks-x.ts', source: "import '../users/index.js';" },
    ];
    expect(checkBoundaries(files)).toEqual([
      'src/webhooks/: a domain needs an index.ts (or, if it knows no domain, a place in SHARED_LAYERS and ADR 6)',
      "src/core/clock.ts: imports '../users/index.js': src/core/ imports only src/core/",
      "src/core/clock.ts: imports '../store/store.js': src/core/ imports only src/core/",
      "src/tokens/token-kit.ts: imports '../http/types.js': src/tokens/ imports only src/tokens/, src/core/, src/store/",
      "src/users/index.ts: imports '../wiring.js': only the composition code (src/*.ts, src/cli/) imports it",
      "src/users/index.ts: imports '../cli/cli.js': only the composition code (src/*.ts, src/cli/) imports it",
      "src/store/migrations/0001-x.ts: imports '../store.js': a migration imports no app code (ADR 12)",
    ]);
  });
});
