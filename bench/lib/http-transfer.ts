import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const MiB = 1024 * 1024;

export interface Transfer {
  status: number;
  /** Bytes on the wire (upload: the whole multipart body; download: the response body). */
  bytes: number;
  seconds: number;
  mibPerSecond: number;
  headers: Record<string, string | string[] | undefined>;
  /** The response body (uploads only; it is small). */
  body?: string;
}

const elapsedSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * POSTs `file` as multipart/form-data the way mender-cli does (size, description, then the
 * artifact part), streamed from disk: the body is a generator of the fields, the file's read
 * stream and the closing boundary, with an exact Content-Length; nothing is buffered whole.
 */
export const uploadMultipart = async (
  url: string,
  file: string,
  opts: { token?: string; description?: string } = {},
): Promise<Transfer> => {
  const size = statSync(file).size;
  const boundary = `----gh-bench-${randomBytes(12).toString('hex')}`;
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    field('size', String(size)) +
      field('description', opts.description ?? '') +
      `--${boundary}\r\nContent-Disposition: form-data; name="artifact"; filename="artifact.mender"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const total = head.length + size + tail.length;
  const body = Readable.from(
    (async function* () {
      yield head;
      yield* createReadStream(file, { highWaterMark: 1 << 20 });
      yield tail;
    })(),
    { objectMode: false },
  );
  const start = process.hrtime.bigint();
  return new Promise<Transfer>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(total),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const seconds = elapsedSince(start);
        resolve({
          status: res.statusCode ?? 0,
          bytes: total,
          seconds,
          mibPerSecond: total / MiB / seconds,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('error', (e) => {
      // A server that answers early (an error) may close before the body is sent: the answer counts.
      if (!answered) reject(e);
    });
    pipeline(body, req).catch((e: unknown) => {
      if (!answered) reject(e);
    });
  });
};

/** GETs `url` and discards the body, counting it. */
export const downloadDiscard = (url: string, headers: Record<string, string> = {}): Promise<Transfer> => {
  const start = process.hrtime.bigint();
  return new Promise<Transfer>((resolve, reject) => {
    const req = request(url, { method: 'GET', headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => {
        const seconds = elapsedSince(start);
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          seconds,
          mibPerSecond: bytes / MiB / seconds,
          headers: res.headers,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
};

/** GETs `url` and parses the JSON answer. */
export const getJson = async (url: string, token: string): Promise<{ status: number; json: unknown }> => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json };
};

/** Reads a file with fs.createReadStream (default 64 KiB chunks, as the blob store does) and drops it. */
export const readFileDiscard = async (path: string): Promise<Transfer> => {
  const start = process.hrtime.bigint();
  let bytes = 0;
  for await (const c of createReadStream(path)) bytes += (c as Buffer).length;
  const seconds = elapsedSince(start);
  return { status: 0, bytes, seconds, mibPerSecond: bytes / MiB / seconds, headers: {} };
};
