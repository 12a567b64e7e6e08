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
  limits: ['core', 'store'], // failure guards and token buckets: know no domain
  blobs: ['core', 'store'], // the blob store: knows no domain
};
/** Composition: the files directly in src/ (entry, app, wiring, server) and the CLI commands. */
const COMPOSITION = new Set(['', 'cli']);
const MIGRATIONS = 'src/store/migrations/';

interface SourceFile {
  /** Path from the repository root with forward slashes, e.g. `src/devauth/identity.ts`. */
  path: string;
  source: string;
}

/** A folder under src/ that is neither a shared layer nor composition. */
const isDomain = (area: string): boolean => !(area in SHARED_LAYERS) && !COMPOSITION.has(area);

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

// Modules (ADR 6, "Modules and ports"): every domain's index.ts offers exactly one
// `createXModule(deps)`, which src/wiring.ts calls; nothing else assembles a domain.

/** Names of the `create…Module` functions a source exports (declarations, not re-exports). */
const exportedModuleFactories = (source: string): string[] => {
  const file = ts.createSourceFile('index.ts', source, ts.ScriptTarget.Latest, true);
  const exported = (st: ts.Statement) =>
    ts.canHaveModifiers(st) &&
    (ts.getModifiers(st) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const names: string[] = [];
  for (const st of file.statements) {
    if (!exported(st)) continue;
    if (ts.isFunctionDeclaration(st) && st.name) names.push(st.name.text);
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
  }
  return names.filter((n) => /^create[A-Z]\w*Module$/.test(n));
};

/** Every domain whose index.ts does not offer exactly one `createXModule`. */
const checkModules = (files: readonly SourceFile[]): string[] => {
  const problems: string[] = [];
  for (const file of files) {
    const area = areaOf(file.path);
    if (!isDomain(area) || file.path !== `src/${area}/index.ts`) continue;
    const factories = exportedModuleFactories(file.source);
    if (factories.length !== 1)
      problems.push(
        `${file.path}: a domain offers exactly one createXModule(deps) (found ${factories.length === 0 ? 'none' : factories.join(', ')})`,
      );
  }
  return problems;
};

// Storage (ADR 6, "Storage"): SQL is built in src/store/ and in repositories (`*-repo*.ts`) only,
// the dialect is read there only, and a route (`*-routes*.ts`) calls services, never a repository.

/** Kysely's statement builders; a call of one builds SQL. */
const SQL_BUILDERS = new Set([
  'selectFrom',
  'insertInto',
  'updateTable',
  'deleteFrom',
  'replaceInto',
  'mergeInto',
]);
/** Functions of src/store/dialect.ts that answer with the dialect itself or branch SQL on it. */
const DIALECT_READERS = new Set(['dialectOf', 'needsLocks']);

const isStorageFile = (path: string): boolean =>
  path.startsWith('src/store/') || /-repo[-.]/.test(posix.basename(path));
const isRouteFile = (path: string): boolean => /-routes[-.]/.test(posix.basename(path));

/** What in `source` builds SQL or reads the dialect, by line (comments and strings never count). */
const storageUses = (path: string, source: string): string[] => {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push(`${path}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what}`);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isPropertyAccessExpression(callee) && SQL_BUILDERS.has(callee.name.text))
        at(node, `builds SQL (${callee.name.text})`);
      if (ts.isIdentifier(callee) && DIALECT_READERS.has(callee.text))
        at(node, `reads the dialect (${callee.text})`);
    } else if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'sql') {
      at(node, 'builds SQL (sql`…`)');
    } else if (ts.isPropertyAccessExpression(node)) {
      if (ts.isIdentifier(node.expression) && node.expression.text === 'sql')
        at(node, `builds SQL (sql.${node.name.text})`);
      if (node.name.text === 'dialect') at(node, 'reads the dialect (.dialect)');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
};

/** Relative specifiers that `source` imports or re-exports for values (type-only ones left out). */
const valueImportSpecifiers = (source: string): string[] => {
  const file = ts.createSourceFile('x.ts', source, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  for (const st of file.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const clause = st.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.length > 0 &&
            bindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(st.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      if (!st.isTypeOnly) out.push(st.moduleSpecifier.text);
    }
  }
  return out.filter((s) => s.startsWith('.'));
};

/** Every breach of the storage rule in `files` (tests under src/ may query the database to check it). */
const checkStorage = (files: readonly SourceFile[]): string[] => {
  const problems: string[] = [];
  for (const file of files) {
    if (file.path.endsWith('.test.ts')) continue;
    if (!isStorageFile(file.path))
      for (const use of storageUses(file.path, file.source))
        problems.push(`${use}: only src/store/ and repositories (*-repo*.ts) do`);
    if (isRouteFile(file.path)) {
      for (const specifier of valueImportSpecifiers(file.source)) {
        const target = posix.normalize(posix.join(posix.dirname(file.path), specifier));
        if (isStorageFile(target))
          problems.push(
            `${file.path}: imports '${specifier}': a route calls services, not repositories or the store`,
          );
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

describe('modules', () => {
  it('every domain offers exactly one createXModule from its index.ts', () => {
    const files = sourceFiles();
    expect(files.filter((f) => /^src\/[\w-]+\/index\.ts$/.test(f.path)).length).toBeGreaterThan(10);
    expect(checkModules(files)).toEqual([]);
  });

  it('flag a domain without one, or with two, and count only what index.ts itself declares', () => {
    const files: SourceFile[] = [
      { path: 'src/users/index.ts', source: 'export const createUsersModule = () => ({ routes: {} });' },
      { path: 'src/devauth/index.ts', source: "export { createDevauthModule } from './devauth-module.js';" },
      {
        path: 'src/pki/index.ts',
        source: 'export function createPkiModule() {}\nexport const createCaModule = () => 1;',
      },
      { path: 'src/events/index.ts', source: 'const createEventsModule = () => 1;\nexport const x = 1;' },
      { path: 'src/core/index.ts', source: 'export const x = 1;' },
      { path: 'src/users/users-x.ts', source: 'export const createOtherModule = 1;' },
    ];
    expect(checkModules(files)).toEqual([
      'src/devauth/index.ts: a domain offers exactly one createXModule(deps) (found none)',
      'src/pki/index.ts: a domain offers exactly one createXModule(deps) (found createPkiModule, createCaModule)',
      'src/events/index.ts: a domain offers exactly one createXModule(deps) (found none)',
    ]);
  });
});

describe('storage boundaries', () => {
  it('hold for every file under src/', () => {
    expect(checkStorage(sourceFiles())).toEqual([]);
  });

  it('flag SQL and dialect reads outside src/store/ and repositories, and routes importing a repository', () => {
    const files: SourceFile[] = [
      {
        path: 'src/users/users-service.ts',
        source: [
          '// selectFrom( in a comment, and sql`x` in one, do not count',
          "const s = 'db.selectFrom(\\'users\\')';",
          "const a = await db.selectFrom('users').selectAll().execute();",
          'await tx.insertInto(t).values(v).execute();',
          'await sql<{ n: number }>`select 1`.execute(db);',
          "const r = sql.ref('a');",
          "if (store.dialect === 'postgres') x();",
          'if (dialectOf(tx) === "sqlite") y();',
          'if (needsLocks(tx)) z();',
          "await lockKey(tx, 'k');",
        ].join('\n'),
      },
      { path: 'src/users/users-repo-x.ts', source: "await db.selectFrom('users').execute();\nsql`x`;" },
      { path: 'src/users/users-settings-repo.ts', source: "await db.deleteFrom('users').execute();" },
      {
        path: 'src/store/conflicts.ts',
        source: "if (dialectOf(tx) === 'postgres') await sql`x`.execute(tx);",
      },
      { path: 'src/users/users-x.test.ts', source: "await db.selectFrom('users').execute();" },
      {
        path: 'src/users/users-routes-mgmt.ts',
        source: [
          "import { findUser } from './users-repo-x.js';",
          "import type { UserRow } from './users-repo-x.js';",
          "import { type UserRow2 } from './users-settings-repo.js';",
          "export { y } from './users-settings-repo.js';",
          "import { openStore } from '../store/store.js';",
          "import type { Store } from '../store/store.js';",
          "import { createUsers } from './users-service.js';",
        ].join('\n'),
      },
    ];
    expect(checkStorage(files)).toEqual([
      'src/users/users-service.ts:3: builds SQL (selectFrom): only src/store/ and repositories (*-repo*.ts) do',
      'src/users/users-service.ts:4: builds SQL (insertInto): only src/store/ and repositories (*-repo*.ts) do',
      'src/users/users-service.ts:5: builds SQL (sql`…`): only src/store/ and repositories (*-repo*.ts) do',
      'src/users/users-service.ts:6: builds SQL (sql.ref): only src/store/ and repositories (*-repo*.ts) do',
      'src/users/users-service.ts:7: reads the dialect (.dialect): only src/store/ and repositories (*-repo*.ts) do',
      'src/users/users-service.ts:8: reads the dialect (dialectOf): only src/store/ and repositories (*-repo*.ts) do',
      'src/users/users-service.ts:9: reads the dialect (needsLocks): only src/store/ and repositories (*-repo*.ts) do',
      "src/users/users-routes-mgmt.ts: imports './users-repo-x.js': a route calls services, not repositories or the store",
      "src/users/users-routes-mgmt.ts: imports './users-settings-repo.js': a route calls services, not repositories or the store",
      "src/users/users-routes-mgmt.ts: imports '../store/store.js': a route calls services, not repositories or the store",
    ]);
  });
});
