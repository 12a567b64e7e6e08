import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { hasTool, makeRootCa, pkiDir, signWith } from '../helpers/openssl.js';
import { openConnection, trickle } from '../helpers/slow-client.js';

// Slow connections against a real listening server, HTTP and TLS (docs/limits.md): every case is
// a bounded number of loopback connections, waited for with a deadline well past the configured
// timeout (how long each took is not asserted).
const HEADERS_S = 2;
const BODY_S = 2;
const KEEP_ALIVE_S = 2;
const MAX_CONNECTIONS = 12;
const DEADLINE_MS = 15_000;
const ready = hasTool('openssl');

describe.skipIf(!ready).each(dialects())('listener timeouts on %s', (dialect) => {
  let db: TestDatabase;
  let server: RunningServer;
  let port: number;
  let tlsPort: number;

  beforeAll(async () => {
    const dir = pkiDir();
    const ca = makeRootCa(dir, 'server-ca');
    const cert = signWith(dir, ca, 'server', {
      cn: '127.0.0.1',
      ext: 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth',
    });
    db = await createTestDatabase(dialect);
    server = await startServer(
      loadConfig(
        {
          dataDir: db.dataDir,
          databaseUrl: db.url,
          listen: '127.0.0.1:0',
          tlsListen: '127.0.0.1:0',
          tlsCertFile: cert.crt,
          tlsKeyFile: cert.key,
          logLevel: 'silent',
          headersTimeoutSeconds: String(HEADERS_S),
          bodyTimeoutSeconds: String(BODY_S),
          keepAliveTimeoutSeconds: String(KEEP_ALIVE_S),
          maxConnectionsPerAddress: String(MAX_CONNECTIONS),
        },
        {},
      ),
    );
    port = Number(new URL(server.url).port);
    tlsPort = server.tlsPort as number;
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const health = (localAddress?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/api/health', localAddress, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it('closes connections that never finish their headers (slowloris), HTTP and TLS, while others are served', async () => {
    const slowHeaders = { head: 'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n', drip: 'X', everyMs: 300 };
    const pending = [
      // A byte every 300 ms, headers never finished.
      ...Array.from({ length: 4 }, (_, i) =>
        trickle({ port, localAddress: `127.0.0.${10 + i}`, ...slowHeaders, deadlineMs: DEADLINE_MS }),
      ),
      // Connected, silent.
      trickle({ port, localAddress: '127.0.0.20', deadlineMs: DEADLINE_MS }),
      // TLS: the same after the handshake...
      trickle({
        port: tlsPort,
        tls: true,
        localAddress: '127.0.0.21',
        ...slowHeaders,
        deadlineMs: DEADLINE_MS,
      }),
      // ...and a TCP connection to the TLS port that never says hello.
      trickle({ port: tlsPort, localAddress: '127.0.0.22', deadlineMs: DEADLINE_MS }),
    ];
    expect(await health()).toBe(200);
    const results = await Promise.all(pending);
    for (const r of results) {
      expect(r.closed, JSON.stringify(r)).toBe(true);
      // Closed by the server's deadline, not by anything the client sent last.
      expect(r.afterMs).toBeGreaterThanOrEqual(HEADERS_S * 1000 - 50);
    }
    // The drips went on until the end: the server cut them, they did not stop.
    expect(results[0]?.sent).toBeGreaterThan(slowHeaders.head.length + 3);
  });

  it('closes a connection whose body trickles, but not a large body that keeps a steady rate', async () => {
    const slow = trickle({
      port,
      localAddress: '127.0.0.30',
      head: 'POST /api/management/v1/useradm/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      drip: ' ',
      everyMs: 300,
      deadlineMs: DEADLINE_MS,
    });
    // 60 KB in 10 KB steps 0.5 s apart: longer than the body timeout, far above the minimum rate.
    const steadyBody = `{"id_data":"${'x'.repeat(60_000 - 15)}"}`;
    const steady = trickle({
      port: tlsPort,
      tls: true,
      localAddress: '127.0.0.31',
      head: `POST /api/devices/v1/authentication/auth_requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${steadyBody.length}\r\nConnection: close\r\n\r\n`,
      drip: Array.from({ length: 6 }, (_, i) => steadyBody.slice(i * 10_000, (i + 1) * 10_000)),
      everyMs: 500,
      deadlineMs: DEADLINE_MS,
    });
    const slowResult = await slow;
    expect(slowResult.closed).toBe(true);
    expect(slowResult.received).toBe('');
    expect(slowResult.afterMs).toBeGreaterThanOrEqual(BODY_S * 1000 - 50);
    const steadyResult = await steady;
    // Answered (the body is no auth request), after longer than the body timeout.
    expect(steadyResult.received).toMatch(/^HTTP\/1\.1 400 /);
    expect(steadyResult.sent).toBeGreaterThan(60_000);
    expect(steadyResult.afterMs).toBeGreaterThan(BODY_S * 1000);
  });

  it('closes idle kept-alive connections after the keep-alive timeout', async () => {
    const socket = await openConnection(port, '127.0.0.40');
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      socket.on('close', () => resolve(Date.now() - t0));
      socket.on('error', () => {});
      socket.resume();
    });
    socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n');
    const timer = setTimeout(() => socket.destroy(new Error('still open')), DEADLINE_MS);
    expect(await closed).toBeGreaterThanOrEqual(KEEP_ALIVE_S * 1000 - 50);
    clearTimeout(timer);
  });

  it('closes connections beyond the per-address limit at once, for that address only', async () => {
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) sockets.push(await openConnection(port, '127.0.0.50'));
      const extra = await trickle({
        port,
        localAddress: '127.0.0.50',
        head: 'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n',
        deadlineMs: DEADLINE_MS,
      });
      expect(extra.closed).toBe(true);
      expect(extra.received).toBe('');
      expect(await health('127.0.0.51')).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});
