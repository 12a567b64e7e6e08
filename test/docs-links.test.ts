import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The project's code and documents cite only files of the repository: the wire facts they rely
 * on are written down under docs/compat/ (issue 13 item 6), not in research notes outside it.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const SCANNED = ['src', 'web/src', 'test', 'scripts', 'bench', 'docs', 'README.md'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git']);
const TEXT = /\.(?:[cm]?[jt]sx?|md|json|ya?ml|sh|html|css|txt|sql)$/;

// Compat pages are cited by heading anchor (`page.md#anchor`), never by section sign: `name.md §…`
// with a note's name (some share a name with a compat page) is a citation of the outside note.
const OUTSIDE: { what: string; re: RegExp }[] = [
  { what: 'research notes outside the repository', re: /spec\/mender-api\.md/ },
  { what: 'research notes outside the repository', re: /\.\.\/shared\/spec\/(?!mender-openapi\/)/ },
  { what: 'seed files outside the repository', re: /(?<![\w-])seeds\// },
  { what: 'research notes outside the repository', re: /bootstrap-and-peers\.md/ },
  {
    what: 'research notes outside the repository',
    re: /(?:mender-clients|mender-api|magistrala[\w-]*|provisioning-peers)\.md §/,
  },
  { what: 'research notes outside the repository', re: /\bspec §/i },
  { what: 'research notes outside the repository', re: /\bspec mender-/i },
  { what: 'research notes outside the repository', re: /\bspec [\w-]+\.md/i },
  // The design notes the project started from: what the code keeps is in docs/principles.md.
  { what: 'the design notes outside the repository', re: /\bDESIGN\.md\b/ },
];
// Test files may read Mender's published OpenAPI document there, as test data.
const OPENAPI_DATA = /\.\.\/shared\/spec\/mender-openapi\//;

const filesUnder = (path: string): string[] => {
  const abs = join(ROOT, path);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [abs];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) ? [] : filesUnder(join(path, e.name));
    return e.isFile() && TEXT.test(e.name) ? [join(abs, e.name)] : [];
  });
};

/** Relative link targets of a markdown text (no scheme, not a bare #anchor), without anchors. */
const relativeLinks = (markdown: string): string[] =>
  [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] as string)
    .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith('#'))
    .map((href) => href.split('#')[0] as string);

const headingAnchors = (markdown: string): Set<string> =>
  new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      (m[1] as string)
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );

describe('documentation links', () => {
  it('no file cites research notes or seeds outside the repository', () => {
    const offenders: string[] = [];
    for (const file of SCANNED.flatMap(filesUnder)) {
      if (file === SELF) continue;
      const rel = relative(ROOT, file);
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const allowed = rel.startsWith('test/') ? line.replace(OPENAPI_DATA, '') : line;
          for (const { what, re } of OUTSIDE) {
            if (re.test(allowed)) offenders.push(`${rel}:${i + 1} cites ${what}: ${line.trim()}`);
          }
        });
    }
    expect(offenders, 'point these at docs/compat/ instead').toEqual([]);
  });

  it('every relative link of the compat pages resolves to a file, and its anchor to a heading', () => {
    const dir = join(ROOT, 'docs/compat');
    const broken: string[] = [];
    // The pages this test was written with; other compat pages are generated or owned elsewhere.
    for (const name of [
      'README.md',
      'mender-device-auth.md',
      'mender-artifacts.md',
      'mender-management.md',
      'mender-clients.md',
      'magistrala-bootstrap.md',
      'provisioning-peers.md',
    ]) {
      const text = readFileSync(join(dir, name), 'utf8');
      for (const href of [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
        const [path, anchor] = href.split('#') as [string, string | undefined];
        const target = path === '' ? join(dir, name) : resolve(dir, path);
        // The OpenAPI coverage page is generated; until it is, the index may name it ahead.
        if (!existsSync(target)) {
          if (relative(dir, target) !== 'mender-openapi.md') broken.push(`${name}: ${href}`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !headingAnchors(readFileSync(target, 'utf8')).has(anchor)) {
          broken.push(`${name}: ${href} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('the compat index lists every compat page', () => {
    const index = readFileSync(join(ROOT, 'docs/compat/README.md'), 'utf8');
    const listed = new Set(relativeLinks(index));
    const pages = readdirSync(join(ROOT, 'docs/compat')).filter(
      (n) => n.endsWith('.md') && n !== 'README.md',
    );
    for (const page of [...pages, 'mender-openapi.md']) expect(listed, page).toContain(page);
  });

  it('source comments that cite docs/ (compat pages, principles) name existing pages and headings', () => {
    const broken: string[] = [];
    for (const file of ['src', 'test'].flatMap(filesUnder)) {
      if (file === SELF) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/docs\/((?:compat\/)?[\w-]+\.md)(?:#([\w-]+))?/g)) {
        const [ref, page, anchor] = m as unknown as [string, string, string | undefined];
        const target = join(ROOT, 'docs', page);
        if (!existsSync(target)) {
          if (page !== 'compat/mender-openapi.md') broken.push(`${relative(ROOT, file)}: ${ref}`);
          continue;
        }
        if (anchor && !headingAnchors(readFileSync(target, 'utf8')).has(anchor)) {
          broken.push(`${relative(ROOT, file)}: ${ref} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
