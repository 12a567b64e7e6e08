import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSingleFileArtifact } from '../helpers/artifacts.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { holdDatabase } from '../helpers/hold-database.js';
import { between, seededRandom, testSeed } from '../helpers/seeded.js';
import { eventually } from '../helpers/webhook-receiver.js';
import { adminTokenViaCli, type GatehouseProcess, spawnGatehouse } from './helpers/gatehouse-process.js';

/**
 * Temporary upload files after a crash (src/blobs/fs-blob-tmp.ts): two real `gatehouse serve`
 * processes share a data dir (as scale-out shares the blob directory). One is killed with SIGKILL
 * in the middle of a large streamed artifact upload, while the other is in the middle of one too;
 * the killed one is restarted. The crashed upload's temporary file is gone once the restarted
 * process serves, the live upload on the other process is untouched and completes, and no
 * temporary file is left.
 */
const ARTIFACT_BYTES = 24 * 1024 * 1024;

/** A multipart artifact upload over a real socket, sent in two parts at the test's pace. */
const streamedUpload = (baseUrl: string, token: string, artifact: Buffer, firstBytes: number) => {
  const boundary = `gh-crash-${randomBytes(8).toString('hex')}`;
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    `${field('size', String(artifact.length))}${field('description', 'crash test')}--${boundary}\r\nContent-Disposition: form-data; name="artifact"; filename="a.mender"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const req = request(`${baseUrl}/api/management/v1/deployments/artifacts`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + artifact.length + tail.length),
    },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
  });
  req.write(head);
  req.write(artifact.subarray(0, firstBytes));
  return {
    answer,
    finish: () => {
      req.end(Buffer.concat([artifact.subarray(firstBytes), tail]));
      return answer;
    },
  };
};

describe.each(dialects())('kill -9 during an artifact upload on %s', (dialect) => {
  let db: TestDatabase | undefined;
  let hold: Awaited<ReturnType<typeof holdDatabase>> | undefined;
  const processes: GatehouseProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop();
    await hold?.release();
    await db?.drop();
  });

  it('the crashed upload’s temporary file is removed at restart; a live upload elsewhere completes', async () => {
    const random = seededRandom(testSeed(`crash-upload on ${dialect}`));
    db = await createTestDatabase(dialect);
    hold = await holdDatabase(db);
    const tmpRoot = join(db.dataDir, 'blobs', '.tmp');
    /** Temporary upload files of the process with this pid (its directory names it in owner.json). */
    const tempFilesOf = (pid: number | undefined) => {
      if (!existsSync(tmpRoot)) return [];
      return readdirSync(tmpRoot)
        .map((d) => join(tmpRoot, d))
        .filter((d) => {
          const owner = join(d, 'owner.json');
          return existsSync(owner) && JSON.parse(readFileSync(owner, 'utf8')).pid === pid;
        })
        .flatMap((d) =>
          readdirSync(d)
            .filter((f) => !f.startsWith('owner.json'))
            .map((f) => join(d, f)),
        );
    };
    const tempFiles = () =>
      existsSync(tmpRoot)
        ? readdirSync(tmpRoot, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile() && !e.name.startsWith('owner.json'))
            .map((e) => join(e.parentPath, e.name))
        : [];
    const written = (files: string[]) =>
      files.reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);

    const artifact = readFileSync(
      makeSingleFileArtifact({
        name: `crash-${dialect}`,
        deviceTypes: ['qemux86-64'],
        content: randomBytes(ARTIFACT_BYTES),
        compression: 'none',
      }),
    );
    const flags = ['--webhook-worker', 'false'];
    const spawn = async () => {
      const p = await spawnGatehouse(db as TestDatabase, flags);
      processes.push(p);
      return p;
    };
    const a = await spawn();
    const b = await spawn();
    const token = await adminTokenViaCli(db, a.url);

    // A dies with part of its upload on disk (how much: seeded).
    const killAt = between(random, 1024 * 1024, artifact.length - 1024 * 1024);
    const doomed = streamedUpload(a.url, token, artifact, killAt);
    await eventually('the upload on disk', () => written(tempFilesOf(a.child.pid)) >= killAt / 2, 60_000);
    const left = tempFilesOf(a.child.pid);
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    expect((await doomed.answer).status).toBe(0);
    expect(left.every((f) => existsSync(f))).toBe(true);

    // B is half way through its own upload when A comes back.
    const live = streamedUpload(b.url, token, artifact, Math.floor(artifact.length / 2));
    await eventually('the live upload on disk', () => written(tempFilesOf(b.child.pid)) > 0, 60_000);
    const liveFiles = tempFilesOf(b.child.pid);
    await spawn();
    expect(left.filter((f) => existsSync(f))).toEqual([]);
    expect(liveFiles.every((f) => existsSync(f))).toBe(true);

    const done = await live.finish();
    expect(done.status, done.body).toBe(201);
    expect(tempFiles()).toEqual([]);
    const listed = await fetch(`${b.url}/api/management/v1/deployments/artifacts`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await listed.json()) as { name: string; size: number }[]).map((x) => [x.name, x.size])).toEqual([
      [`crash-${dialect}`, artifact.length],
    ]);
  }, 180_000);
});
