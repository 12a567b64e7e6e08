import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { describeWithMender } from './helpers/host.js';
import {
  ArtifactBuilder,
  createCliUser,
  filesUnder,
  MenderCli,
  OTA_TOOLS,
  type OtaApi,
  otaApi,
  tempUploadFiles,
} from './helpers/ota.js';
import { type RecordedServer, startRecordedServer } from './helpers/recorded-server.js';

/**
 * Artifact management with the real mender-cli 1.9 (docs/compat/mender-clients.md#mender-cli,
 * docs/compat/mender-management.md#artifacts): list and delete, and uploads of damaged artifacts that must
 * be refused without leaving anything behind.
 */

const tag = () => randomBytes(4).toString('hex');

for (const dialect of dialects()) {
  describeWithMender(
    `OTA artifacts with the real mender-cli (${dialect})`,
    () => {
      let server: RecordedServer;
      let api: OtaApi;
      let cli: MenderCli;
      const artifacts = new ArtifactBuilder();

      beforeAll(async () => {
        server = await startRecordedServer(dialect);
        api = otaApi(server);
        cli = new MenderCli(server.url);
        const user = await createCliUser(server);
        await cli.login(user.email, user.password);
      });
      afterAll(async () => {
        cli?.dispose();
        artifacts.dispose();
        await server?.close();
      });

      const blobsDir = () => join(server.db.dataDir, 'blobs');

      it('artifacts list shows uploaded artifacts by name and id; artifacts delete removes one', async () => {
        const names = [`ota-list-a-${tag()}`, `ota-list-b-${tag()}`];
        for (const name of names) {
          const up = await cli.upload(artifacts.singleFile({ name, deviceTypes: ['qemux86-64'] }));
          expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
        }
        const stored = await api.listArtifacts();
        const ids = names.map((n) => stored.find((a) => a.name === n)?.id ?? '');
        expect(ids.every((id) => id !== '')).toBe(true);

        // Default output: one "ID: / Name:" block per artifact.
        const list = await cli.ok('artifacts', 'list');
        const blocks = blocksOf(list.stdout);
        for (const [i, name] of names.entries()) {
          const block = blocks.find((b) => b.includes(`ID: ${ids[i]}`));
          expect(block, list.stdout).toBeDefined();
          expect(block).toMatch(new RegExp(`^Name: ${name}$`, 'm'));
        }
        // The most detailed output decodes every field of our artifact JSON (including the
        // legacy meta_data array, docs/compat/mender-management.md#artifacts) without error.
        const detailed = await cli.ok('artifacts', 'list', '--detail', '3');
        expect(
          blocksOf(detailed.stdout).filter((b) => names.some((n) => b.includes(`Name: ${n}`))),
        ).toHaveLength(2);
        expect(detailed.stdout).toContain('qemux86-64');

        const blobsBefore = filesUnder(join(blobsDir(), 'artifacts'));
        expect(blobsBefore).toContain(join(DEFAULT_TENANT_ID, ids[0] as string));
        const del = await cli.ok('artifacts', 'delete', ids[0] as string);
        expect(del.stdout).toContain('delete successful');
        expect((await api.getArtifact(ids[0] as string)).status).toBe(404);
        expect((await api.getArtifact(ids[1] as string)).status).toBe(200);
        // Its blob went with it.
        expect(filesUnder(join(blobsDir(), 'artifacts'))).toEqual(
          blobsBefore.filter((f) => f !== join(DEFAULT_TENANT_ID, ids[0] as string)),
        );
        const after = await cli.ok('artifacts', 'list');
        expect(after.stdout).not.toContain(ids[0] as string);
        expect(after.stdout).toContain(`ID: ${ids[1]}`);

        // Deleting it again: refused (404), and mender-cli says so.
        const again = await cli.run('artifacts', 'delete', ids[0] as string);
        expect(again.code).not.toBe(0);
        expect(again.stderr).toMatch(/status 404/);
      });

      it('a corrupted or truncated artifact uploaded with mender-cli is refused and leaves nothing behind', async () => {
        const name = `ota-damaged-${tag()}`;
        const marker = `payload of ${name} `.repeat(64);
        const good = artifacts.singleFile({
          name,
          deviceTypes: ['qemux86-64'],
          content: marker,
          compression: 'none',
        });
        const bytes = readFileSync(good);
        // With --compression none the payload is stored as is inside data/0000.tar: flip one bit of it.
        const at = bytes.indexOf(Buffer.from(marker));
        expect(at).toBeGreaterThan(0);
        const flipped = Buffer.from(bytes);
        flipped[at + 100] = (flipped[at + 100] as number) ^ 0x01;
        const scratch = artifacts.scratchDir();
        const corruptedPath = join(scratch, `${name}-corrupted.mender`);
        const truncatedPath = join(scratch, `${name}-truncated.mender`);
        const damaged = [
          { what: 'one flipped payload byte', path: corruptedPath, content: flipped },
          {
            what: 'truncated',
            path: truncatedPath,
            content: bytes.subarray(0, Math.floor(bytes.length / 2)),
          },
        ];

        const listBefore = (await api.listArtifacts()).map((a) => a.id).sort();
        const blobsBefore = filesUnder(join(blobsDir(), 'artifacts'));
        for (const d of damaged) {
          writeFileSync(d.path, d.content);
          const mark = server.mark();
          const up = await cli.upload(d.path);
          expect(up.code, `${d.what}: ${up.stdout}\n${up.stderr}`).not.toBe(0);
          expect(up.stderr, d.what).toMatch(/FAILURE: artifact upload .* failed with status 400/);
          // The server refused it (mender-cli does not check artifacts itself).
          const posted = server.requests.filter(
            (r) =>
              r.seq > mark && r.method === 'POST' && r.path === '/api/management/v1/deployments/artifacts',
          );
          expect(
            posted.map((r) => r.statusCode),
            d.what,
          ).toEqual([400]);
        }
        expect((await api.listArtifacts()).map((a) => a.id).sort()).toEqual(listBefore);
        expect(filesUnder(join(blobsDir(), 'artifacts'))).toEqual(blobsBefore);
        expect(tempUploadFiles(blobsDir())).toEqual([]);

        // Control: the undamaged artifact is accepted.
        const ok = await cli.upload(good);
        expect(ok.code, `${ok.stdout}\n${ok.stderr}`).toBe(0);
        expect((await api.listArtifacts()).filter((a) => a.name === name)).toHaveLength(1);
        expect(tempUploadFiles(blobsDir())).toEqual([]);
      });
    },
    { tools: OTA_TOOLS },
  );
}

/** mender-cli's separator between items in non-raw output. */
const SEPARATOR = /^-{80}$/m;

const blocksOf = (stdout: string): string[] =>
  stdout
    .split(SEPARATOR)
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
