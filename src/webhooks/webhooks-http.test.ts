import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSender, type OutboundRequest } from './webhooks-http.js';

describe('webhook HTTP sender', () => {
  let server: Server;
  let base: string;
  const hanging: import('node:http').ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      if (req.url === '/hang') return void hanging.push(res);
      if (req.url === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/big') return void res.writeHead(200).end('x'.repeat(100_000));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const req = (path: string, over: Partial<OutboundRequest> = {}): OutboundRequest => ({
    url: `${base}${path}`,
    headers: { 'content-type': 'application/json' },
    body: '{}',
    timeoutMs: 2000,
    maxResponseBytes: 1024,
    ...over,
  });

  it('posts and reads a bounded answer', async () => {
    const send = createHttpSender({ allowPrivate: true });
    const ok = await send(req('/ok'));
    expect(ok).toMatchObject({ statusCode: 200, error: null, truncated: false, aborted: false });
    expect(ok.body.toString()).toBe('{"ok":true}');
    const big = await send(req('/big'));
    expect(big).toMatchObject({ statusCode: 200, error: null, truncated: true });
    expect(big.body.length).toBe(1024);
  });

  it('does not follow redirects', async () => {
    const r = await createHttpSender({ allowPrivate: true })(req('/redirect'));
    expect(r.statusCode).toBe(302);
  });

  it('times out a receiver that never answers, and stops at once when aborted', async () => {
    const send = createHttpSender({ allowPrivate: true });
    const slow = await send(req('/hang', { timeoutMs: 200 }));
    expect(slow).toMatchObject({ statusCode: null, timedOut: true, error: 'timed out after 200 ms' });
    const abort = new AbortController();
    const pending = send(req('/hang', { signal: abort.signal }));
    setTimeout(() => abort.abort(), 50);
    expect(await pending).toMatchObject({ statusCode: null, aborted: true });
  });

  it('refuses private targets unless allowed, also behind a host name (checked at connect time)', async () => {
    const send = createHttpSender({ allowPrivate: false });
    const literal = await send(req('/ok'));
    expect(literal.statusCode).toBeNull();
    expect(literal.error).toMatch(/127\.0\.0\.1 is loopback, private or reserved/);
    const named = await send(req('/ok', { url: base.replace('127.0.0.1', 'localhost') }));
    expect(named.statusCode).toBeNull();
    expect(named.error).toMatch(/is loopback, private or reserved/);
  });

  it('reports refused connections as errors', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await createHttpSender({ allowPrivate: true })(req('/', { url: `http://127.0.0.1:${port}/` }));
    expect(r).toMatchObject({ statusCode: null, timedOut: false });
    expect(r.error).toMatch(/ECONNREFUSED/);
  });
});
