import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type BatchSink, streamImport } from './import-engine.js';
import type { ManifestRecord } from './manifest-read.js';
import { checkRecord, type RowCheck } from './manifest-rows.js';
import { inlineRowChecker, openRowCheckPool, type RowChecker } from './row-check-pool.js';

const pem = () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Valid rows with, every fifth line, a row that fails its check (a key that is not a key). */
const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    identity: { serialnumber: `SN-${i}` },
    pubkey: i % 5 === 4 ? 'not a key' : pem(),
  }));

let pools: RowChecker[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});
const pool = (threads: number) => {
  const p = openRowCheckPool(threads);
  pools.push(p);
  return p;
};

/** Batches as a sink sees them: the lines and outcome of each check. */
const recordingSink = () => {
  const seen: { through: number; checks: string[] }[] = [];
  const sink: BatchSink = async (checks, through) => {
    seen.push({
      through,
      checks: checks.map((c) => (c.ok ? `${c.row.line}:${c.row.key.sha256}` : `${c.line}!`)),
    });
    return [];
  };
  return { seen, sink };
};

describe('row-check pool', () => {
  it('answers batches sent at once in the order they were sent, as checking inline does', async () => {
    const records: ManifestRecord[] = rows(60).map((value, i) => ({ line: i + 1, kind: 'json', value }));
    const batches = Array.from({ length: 6 }, (_, b) => records.slice(b * 10, b * 10 + 10));
    const p = pool(2);
    const answers = await Promise.all(batches.map((b) => p.check(b)));
    const strip = (cs: RowCheck[]) => cs.map((c) => (c.ok ? { ...c.row } : c));
    expect(answers.map(strip)).toEqual(batches.map((b) => strip(b.map(checkRecord))));
  });

  it('hands the sink the same batches in manifest order as inline checking, also up to a syntax error', async () => {
    const lines = rows(47).map((r) => JSON.stringify(r));
    const csv = `identity.serialnumber,pubkey\n${rows(30)
      .map((r, i) =>
        i === 23 ? '"unterminated,x' : `${r.identity.serialnumber},${JSON.stringify(r.pubkey)}`,
      )
      .join('\n')}\n`;
    for (const [format, text] of [
      ['jsonl', `${lines.join('\n')}\n`],
      ['csv', csv],
    ] as const) {
      const inline = recordingSink();
      const threaded = recordingSink();
      const a = await streamImport({
        input: Readable.from([Buffer.from(text)]),
        format,
        skipThroughLine: 3,
        sink: inline.sink,
        checker: inlineRowChecker,
        batchRows: 4,
      });
      const b = await streamImport({
        input: Readable.from([Buffer.from(text)]),
        format,
        skipThroughLine: 3,
        sink: threaded.sink,
        checker: pool(2),
        batchRows: 4,
      });
      expect(b).toEqual(a);
      expect(threaded.seen).toEqual(inline.seen);
      expect(threaded.seen.length, format).toBeGreaterThan(4);
    }
  });

  it('fails the import, not the process, when a thread fails; a closed pool refuses work', async () => {
    const p = pool(1);
    // A record the worker cannot clone back is not possible; a closed pool is the failure here.
    await p.close();
    await expect(p.check([{ line: 1, kind: 'unreadable', reason: 'x' }])).rejects.toThrow(/closed/);
    const { sink } = recordingSink();
    await expect(
      streamImport({
        input: Readable.from([Buffer.from(`${JSON.stringify(rows(1)[0])}\n`)]),
        format: 'jsonl',
        skipThroughLine: 0,
        sink,
        checker: p,
      }),
    ).rejects.toThrow(/closed/);
  });
});
