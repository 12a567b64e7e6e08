import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { buildArtifact, freeBytes, menderArtifactMissing, writePayload } from './artifact-files.js';
import { createBenchDatabase } from './databases.js';
import {
  downloadDiscard,
  getJson,
  MiB,
  readFileDiscard,
  type Transfer,
  uploadMultipart,
} from './http-transfer.js';
import { startServerProcess } from './server-process.js';
import type { MemoryWindow } from './server-protocol.js';

const UPLOAD_PATH = '/api/management/v1/deployments/artifacts';
const RSS_SAMPLE_MS = 50;

export interface BigArtifactSettings {
  /** Payload of the big artifact (1 GiB; 256 MiB with --quick). */
  bigBytes: number;
  /** Payload of the reference artifact (100 MiB). */
  smallBytes: number;
  log(line: string): void;
}

export interface UploadMeasurement {
  payloadBytes: number;
  artifactBytes: number;
  transfer: Transfer;
  /** Server memory while the upload ran. */
  memory: MemoryWindow;
  artifactId: string | null;
  problem: string | null;
}

export interface DownloadMeasurement {
  /** Best of the rounds (alternated with the disk reads). */
  transfer: Transfer;
  rounds: Transfer[];
  contentLength: number | null;
  /** Server memory during the download rounds. */
  memory: MemoryWindow;
  problem: string | null;
}

export interface BigArtifactResults {
  buildSeconds: number;
  /** Idle server, after start-up and user login, over 1 s. */
  idle: MemoryWindow;
  small: UploadMeasurement;
  big: UploadMeasurement;
  /** Baseline: the same multipart body of the big artifact to a node:http sink in the server process. */
  sink: Transfer;
  download: DownloadMeasurement | null;
  /** Baseline: fs.createReadStream of the blob file in the bench process, best of the rounds. */
  diskRead: Transfer | null;
  diskRounds: Transfer[];
}

export type BigArtifactOutcome = { results: BigArtifactResults } | { skipped: string };

/** Disk the part needs: payloads, artifacts, stored blobs, SQLite, with room to spare. */
export const bytesNeeded = (s: Pick<BigArtifactSettings, 'bigBytes' | 'smallBytes'>): number =>
  Math.max(5 * 1024 * MiB, 4 * (s.bigBytes + s.smallBytes) + 512 * MiB);

const liveDirs = new Set<string>();
/** Removes the artifact temp dirs still present (Ctrl-C, crash); never throws. */
export const removeBigArtifactDirs = (): void => {
  for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  liveDirs.clear();
};

const fmtSize = (bytes: number) =>
  bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)} GiB` : `${Math.round(bytes / MiB)} MiB`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Peak server RSS while artifacts of two sizes are uploaded (bounded memory means the peaks do
 * not grow with the size), upload throughput against a bare HTTP sink, and download throughput of
 * the big artifact through a signed link against reading its blob file from disk. The server runs
 * in a child process on a temporary SQLite data dir.
 */
export const runBigArtifact = async (s: BigArtifactSettings): Promise<BigArtifactOutcome> => {
  const missing = menderArtifactMissing();
  if (missing) return { skipped: missing };
  const tmp = tmpdir();
  const needed = bytesNeeded(s);
  const free = freeBytes(tmp);
  if (free < needed) {
    return {
      skipped: `${(free / (1024 * MiB)).toFixed(1)} GiB free under ${tmp}, needs ${(needed / (1024 * MiB)).toFixed(1)} GiB`,
    };
  }

  const dir = mkdtempSync(join(tmp, 'gh-bench-artifacts-'));
  liveDirs.add(dir);
  const db = await createBenchDatabase('sqlite');
  let server: Awaited<ReturnType<typeof startServerProcess>> | undefined;
  try {
    s.log(`  building artifacts with mender-artifact (${fmtSize(s.smallBytes)}, ${fmtSize(s.bigBytes)})`);
    const buildStart = process.hrtime.bigint();
    const build = (name: string, bytes: number) => {
      const payload = join(dir, `${name}.payload`);
      writePayload(payload, bytes);
      const out = buildArtifact({ dir, name, deviceType: 'qemux86-64', payloadFile: payload });
      unlinkSync(payload);
      return out;
    };
    const smallFile = build('bench-small', s.smallBytes);
    const bigFile = build('bench-big', s.bigBytes);
    const buildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9;

    server = await startServerProcess({ dataDir: db.dataDir, databaseUrl: db.url, sampleMs: RSS_SAMPLE_MS });
    const srv = server;
    // Idle: after start-up has settled.
    await sleep(1000);
    await srv.mark();
    await sleep(1000);
    const idle = await srv.peak();

    const upload = async (file: string, payloadBytes: number): Promise<UploadMeasurement> => {
      s.log(`  uploading ${fmtSize(payloadBytes)} artifact (server pid ${srv.pid})`);
      await srv.mark();
      const transfer = await uploadMultipart(`${srv.url}${UPLOAD_PATH}`, file, { token: srv.userToken });
      const memory = await srv.peak();
      const location = transfer.headers.location;
      const artifactId = typeof location === 'string' ? (location.split('/').pop() ?? null) : null;
      const problem =
        transfer.status === 201 && artifactId
          ? null
          : `upload answered ${transfer.status}: ${transfer.body?.slice(0, 300)}`;
      return { payloadBytes, artifactBytes: statSync(file).size, transfer, memory, artifactId, problem };
    };
    const small = await upload(smallFile, s.smallBytes);
    const big = await upload(bigFile, s.bigBytes);

    let download: DownloadMeasurement | null = null;
    let diskRead: Transfer | null = null;
    const diskRounds: Transfer[] = [];
    if (big.artifactId) {
      s.log(`  downloading the ${fmtSize(s.bigBytes)} artifact through a signed link, and reading its blob`);
      const blobFile = join(db.dataDir, 'blobs', 'artifacts', DEFAULT_TENANT_ID, big.artifactId);
      const link = await getJson(`${srv.url}${UPLOAD_PATH}/${big.artifactId}/download`, srv.userToken);
      const uri = (link.json as { uri?: unknown }).uri;
      if (link.status !== 200 || typeof uri !== 'string') {
        download = {
          transfer: { status: link.status, bytes: 0, seconds: 0, mibPerSecond: 0, headers: {} },
          rounds: [],
          contentLength: null,
          memory: idle,
          problem: `download link: ${link.status} ${JSON.stringify(link.json).slice(0, 200)}`,
        };
      } else {
        const rounds: Transfer[] = [];
        await srv.mark();
        // Alternated, so both see the same page cache and machine state; the best of each counts.
        for (let i = 0; i < 2; i++) {
          diskRounds.push(await readFileDiscard(blobFile));
          rounds.push(await downloadDiscard(uri));
        }
        const memory = await srv.peak();
        const best = (ts: Transfer[]) => ts.reduce((a, b) => (b.mibPerSecond > a.mibPerSecond ? b : a));
        const transfer = best(rounds);
        diskRead = best(diskRounds);
        const cl = transfer.headers['content-length'];
        const contentLength = typeof cl === 'string' ? Number(cl) : null;
        const problems: string[] = [];
        for (const r of rounds) {
          if (r.status !== 200) problems.push(`download answered ${r.status}`);
          if (r.bytes !== big.artifactBytes)
            problems.push(`downloaded ${r.bytes} bytes, artifact has ${big.artifactBytes}`);
        }
        if (contentLength !== big.artifactBytes)
          problems.push(`Content-Length ${cl} but the artifact has ${big.artifactBytes} bytes`);
        if (diskRead.bytes !== big.artifactBytes)
          problems.push(`blob file has ${diskRead.bytes} bytes, artifact ${big.artifactBytes}`);
        download = {
          transfer,
          rounds,
          contentLength,
          memory,
          problem: problems.length > 0 ? [...new Set(problems)].join('; ') : null,
        };
      }
    }

    s.log('  baseline: the same multipart body to a bare node:http sink');
    const sink = await uploadMultipart(srv.sinkUrl, bigFile);
    return { results: { buildSeconds, idle, small, big, sink, download, diskRead, diskRounds } };
  } finally {
    await server?.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  }
};
