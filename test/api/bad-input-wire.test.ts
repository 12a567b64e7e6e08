import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempUploadFiles } from '../e2e/helpers/ota.js';
import { allRowCounts } from '../helpers/all-rows.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// What app.inject() cannot send: raw bytes in the request line and headers, bodies without a
// Content-Length, and a client that stops in the middle of a form. A real listening server
// must answer each with a 4xx (or close the connection), within a deadline, and keep nothing.

const DEADLINE_MS = 15_000;

interface RawAnswer {
  status: number | undefined;
  body: string;
}

/**
 * Sends bytes on a fresh connection and reads until the server closes it (or the deadline
 * passes, which fails). `halfClose` ends our side after writing, as a client that gives up does.
 */
const raw = (port: number, bytes: Buffer, opts: { halfClose?: boolean } = {}): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${DEADLINE_MS} ms`));
    }, DEADLINE_MS);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({
        status: status ? Number(status) : undefined,
        body: text.split('\r\n\r\n').slice(1).join('\r\n\r\n'),
      });
    });
    socket.write(bytes, () => {
      if (opts.halfClose) socket.end();
    });
  });

const request = (head: string, body: Buffer | string = '') =>
  Buffer.concat([Buffer.from(`${head}\r\nConnection: close\r\n\r\n`, 'latin1'), Buffer.from(body)]);

const chunked = (...parts: (Buffer | string)[]) =>
  Buffer.concat([
    ...parts.flatMap((p) => {
      const b = Buffer.from(p);
      return [Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')];
    }),
    Buffer.from('0\r\n\r\n'),
  ]);

describe.each(dialects())('malformed requests on the wire on %s', (dialect) => {
  let t: TestServer;
  let port: number;
  let auth: string;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    auth = `Authorization: Bearer ${(await adminToken(t.gh)).token}`;
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(async () => t?.close());

  const MGMT = '/api/management/v1';
  const form = (b: string) => `Content-Type: multipart/form-data; boundary=${b}`;
  const filePart = (b: string) =>
    `--${b}\r\nContent-Disposition: form-data; name="artifact"; filename="a.mender"\r\nContent-Type: application/octet-stream\r\n\r\n`;

  const cases: [string, () => Buffer, { halfClose?: boolean; status?: number }][] = [
    [
      'raw bytes ≥ 0x80 in the path',
      () => request(`GET ${MGMT}/inventory/devices/\xff\xfe HTTP/1.1\r\nHost: x\r\n${auth}`),
      {},
    ],
    [
      'raw bytes ≥ 0x80 in the query',
      () => request(`GET ${MGMT}/deployments/artifacts?name=\xff HTTP/1.1\r\nHost: x\r\n${auth}`),
      {},
    ],
    [
      'a raw NUL in the path',
      () => request(`GET ${MGMT}/inventory/devices/a\x00b HTTP/1.1\r\nHost: x\r\n${auth}`),
      { status: 400 },
    ],
    [
      'a raw NUL in a header',
      () => request(`GET ${MGMT}/useradm/users HTTP/1.1\r\nHost: x\r\n${auth}\r\nX-Probe: a\x00b`),
      { status: 400 },
    ],
    [
      'raw invalid UTF-8 in a login header',
      () =>
        request(
          `POST ${MGMT}/useradm/auth/login HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xff\xfe\r\nContent-Length: 0`,
        ),
      {},
    ],
    [
      'headers over 16 KiB',
      () => request(`GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}`),
      { status: 431 },
    ],
    [
      'a chunked JSON body with invalid UTF-8',
      () =>
        request(
          `POST ${MGMT}/webhooks HTTP/1.1\r\nHost: x\r\n${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
          chunked('{"url":"', Buffer.from([0xc3]), Buffer.from([0x28, 0xff]), '","event_types":["x"]}'),
        ),
      { status: 400 },
    ],
    [
      'a chunked JSON body 1,000,000 deep (over the body limit)',
      () =>
        request(
          `POST ${MGMT}/webhooks HTTP/1.1\r\nHost: x\r\n${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
          chunked('['.repeat(1_000_000), ']'.repeat(1_000_000)),
        ),
      { status: 413 },
    ],
    [
      'a chunked JSON body 400,000 deep (under the body limit)',
      () =>
        request(
          `POST /bootstrap/00000000-0000-4000-8000-000000000000/channels HTTP/1.1\r\nHost: x\r\n${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
          chunked('{"name":"c","metadata":{"a":', '['.repeat(400_000), ']'.repeat(400_000), '}}'),
        ),
      { status: 400 },
    ],
    [
      'a chunked form that ends inside the file',
      () =>
        request(
          `POST ${MGMT}/deployments/artifacts HTTP/1.1\r\nHost: x\r\n${auth}\r\n${form('zz')}\r\nTransfer-Encoding: chunked`,
          chunked(filePart('zz'), 'not all of an artifact'),
        ),
      { status: 400 },
    ],
    [
      'a form whose client stops sending and closes its side',
      () =>
        request(
          `POST ${MGMT}/deployments/artifacts HTTP/1.1\r\nHost: x\r\n${auth}\r\n${form('zz')}\r\nContent-Length: 100000`,
          `${filePart('zz')}only the beginning`,
        ),
      { halfClose: true },
    ],
    [
      'a form without a boundary, chunked',
      () =>
        request(
          `POST ${MGMT}/deployments/artifacts HTTP/1.1\r\nHost: x\r\n${auth}\r\nContent-Type: multipart/form-data\r\nTransfer-Encoding: chunked`,
          chunked(filePart('zz'), 'x'),
        ),
      { status: 400 },
    ],
  ];

  it.each(cases)('answers %s with a 4xx or a closed connection, in time', async (_name, build, expected) => {
    const before = await allRowCounts(t.gh);
    const sent = build();
    const answer = await raw(port, sent, expected);
    if (expected.status) expect(answer.status, answer.body).toBe(expected.status);
    if (answer.status !== undefined) {
      expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
      expect(answer.status, answer.body).toBeLessThan(500);
      const body = JSON.parse(answer.body) as Record<string, unknown>;
      // Magistrala's routes repeat the error as `message`, which its SDK reads.
      const magistrala = / \/bootstrap\//.test(sent.subarray(0, 200).toString('latin1'));
      expect(body).toEqual({
        error: expect.any(String),
        request_id: expect.any(String),
        ...(magistrala ? { message: body.error } : {}),
      });
    } else expect(expected.halfClose, 'only a client that gave up may get no answer').toBe(true);
    expect(await allRowCounts(t.gh)).toEqual(before);
  });

  it('keeps serving, and keeps no partial upload', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
    // Each process writes under blobs/.tmp/<instance>/ next to its owner.json (ADR 15).
    const left = () => tempUploadFiles(join(t.db.dataDir, 'blobs'));
    // The aborted upload's writer is dropped when its stream fails; give it a moment.
    for (let i = 0; i < 50 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(left()).toEqual([]);
  });
});
