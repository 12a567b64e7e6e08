import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Landed migrations are frozen (docs/adr/0012-frozen-migrations.md): Kysely records a migration by
// name only, so a database that already ran one never runs its new text; an edit reaches fresh
// databases only and the two kinds silently diverge. So every file in src/store/migrations/ is
// pinned here by its SHA-256 (line endings read as LF). A new migration is pinned, one line, in the
// commit that lands it; after that its line never changes.
const PINNED: Record<string, string> = {
  '0001-foundation.ts': '91fc94f0e61364c21de81aeb04af4080e4551c6fec06ee4f41094d4395afbb61',
  // Edited after landing (c82dd5e); fixed forward by 0008. Pinned as it is now.
  '0002-inventory.ts': 'fc44926648808601cebdb2a761d4ed5661d04e78e372f9b5417a55f027c48f53',
  // Edited after landing (f034371, 1da20eb); fixed forward by 0008. Pinned as it is now.
  '0003-deployments.ts': '0c1b2532e6af7badc1b8785972e6d5886048d953dbeeec253a567b5aa3e237de',
  '0004-bootstrap.ts': 'fa625c886f7263f2ee50910d9868485f6b4798561dd867291889515ecfa70da2',
  '0005-pki.ts': '454d9441f11fdea6b75cfbfc0e183a15b64394cf70635e5e78f855e3d91cff34',
  '0006-webhooks.ts': 'b04ea3f3e181299acd14804dd9d745b7b3f1828392995fc7d8ddb21c27dbef87',
  '0007-enrollment.ts': 'deab25a16b77e7ca9e5844deb5800a00a4869de0a9e21c2cff88f8c93400114b',
  '0008-catch-up-0002-0003.ts': 'aff76a0efb942d2be50c9d74e54f46504ba109475a1d4ea74f6b02895a204b54',
  '0009-invariants.ts': '8c736bcd1ca3e6371a563008c1932b2c54fd5055c3d4d9671fd0493ebe63a9c4',
  '0010-flood-limits.ts': '978befb7bdc8b11f1f5be7f71e1251934a84db805d39a77cac7d341c45e26849',
  '0011-factory-imports.ts': 'dd2c4fe69d4b2e8235ce4563ee751f6d9929f6c67b9ed1ef40d37368a1bf73bd',
  '0012-device-scale.ts': '9d209262d1be1bc3eb35d8734dd5858a93f99ea738b8dfd2931e72ae11208ad7',
  '0013-covering-values.ts': '273ecc80c6e90b64f075ddd70733dfb37c339b922e53fb41005a21f358ab574b',
  '0014-group-counts.ts': 'c287ee48e0f6b9a1c55ba1e594d51c77d6b9cf9f593a9c17eca3c48e5443a9b6',
  '0015-ui-state.ts': '23d9af9c293872ef61068ae4e34e930c531433efb68dc42ecf7eae1f2e07712b',
  '0016-bootstrap-hold.ts': 'd2860bf106b01f849e3ab7c6e254df2790780effa8a8429d9785322d368a8d17',
  '0017-deployment-size.ts': '973404e80f75881d5ba3fdda6f1eeb450363b7301f2126a2f017ddc75bc0972c',
};

// The first text of each migration that was edited after it landed, kept as a fixture for
// test/store/migrations-schema.test.ts. Hash of the part below the fixture's marker line, equal to
// `git show <commit>:src/store/migrations/<file> | sha256sum`.
const AS_LANDED: Record<string, { commit: string; sha256: string }> = {
  '0002-inventory.ts': {
    commit: 'fc30f6b',
    sha256: '8c8cb59f6640b2dd91bc1916d5f18cc83b56ce09b158adddbb8ccf9ce2b19ca4',
  },
  '0003-deployments.ts': {
    commit: '9bf71ed',
    sha256: '55a2f862080f548c769eefa64108876df46fd6f45eec68bf3adde7d4b7df94c1',
  },
};

const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/store/migrations/', import.meta.url));
const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/migrations-as-landed/', import.meta.url));
const FIXTURE_MARKER = '// ---- as landed ----\n';

const sha256 = (text: string): string =>
  createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex');

const HOW_TO_FIX = `Landed migrations are frozen: a database that already ran one never runs it again (Kysely
records migrations by name), so an edit would reach fresh databases only. Undo the edit and fix
forward: add src/store/migrations/<next number>-<name>.ts that brings existing databases to the
schema you want (idempotent, both dialects, no app imports), register it in src/store/migrate.ts
and pin it in test/store/migrations-frozen.test.ts. See docs/adr/0012-frozen-migrations.md.
`;

const migrationFiles = (): string[] =>
  readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.test.ts'))
    .map((e) => e.name)
    .sort();

describe('migrations are frozen', () => {
  it('no landed migration was edited or removed', () => {
    const present = new Set(migrationFiles());
    const problems: string[] = [];
    for (const [file, pinned] of Object.entries(PINNED)) {
      if (!present.has(file)) {
        problems.push(
          `${file} was removed. Databases that ran it have it recorded and Kysely refuses to migrate ` +
            'them without it: restore it.',
        );
        continue;
      }
      const actual = sha256(readFileSync(`${MIGRATIONS_DIR}${file}`, 'utf8'));
      if (actual !== pinned)
        problems.push(`${file} changed after it landed (pinned ${pinned}, now ${actual}).`);
    }
    expect(problems, `${problems.join('\n')}\n\n${HOW_TO_FIX}`).toEqual([]);
  });

  it('every migration file is pinned', () => {
    const unpinned = migrationFiles().filter((file) => !(file in PINNED));
    const lines = unpinned.map(
      (file) => `  '${file}': '${sha256(readFileSync(`${MIGRATIONS_DIR}${file}`, 'utf8'))}',`,
    );
    expect(
      unpinned,
      `Not pinned: ${unpinned.join(', ')}. Pin a new migration in the commit that lands it (it is ` +
        'frozen from then on): add to PINNED in test/store/migrations-frozen.test.ts\n' +
        `${lines.join('\n')}\n`,
    ).toEqual([]);
  });

  it('the as-landed fixtures are the text that landed', () => {
    for (const [file, { commit, sha256: pinned }] of Object.entries(AS_LANDED)) {
      const text = readFileSync(`${FIXTURES_DIR}${file}`, 'utf8').replace(/\r\n/g, '\n');
      const at = text.indexOf(FIXTURE_MARKER);
      expect(at, `${file}: marker line missing`).toBeGreaterThanOrEqual(0);
      expect(
        sha256(text.slice(at + FIXTURE_MARKER.length)),
        `test/fixtures/migrations-as-landed/${file} must be \`git show ${commit}:src/store/migrations/${file}\` ` +
          'below its marker line',
      ).toBe(pinned);
    }
    expect(readdirSync(FIXTURES_DIR).sort()).toEqual(Object.keys(AS_LANDED).sort());
  });
});
