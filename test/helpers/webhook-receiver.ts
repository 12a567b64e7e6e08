import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/webhooks/index.js';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: test receiver, bodies are asserted field by field.
  json: any;
}

/** What the receiver does with a request: answer `status` with `body` (now or later), or never answer. */
type Answer = { status: number; body?: string } | 'hang';
export type Responder = (r: ReceivedRequest) => Answer | Promise<Answer>;

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Every request received, across restarts of the same receiver. */
  requests: ReceivedRequest[];
  respond: Responder;
  close(): Promise<void>;
  /** Listens again on the same port (after close). */
  restart(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that records webhook requests (the external edge of webhook
 * tests: deliveries go over real sockets). Hanging requests are ended when it closes.
 */
export const startWebhookReceiver = async (opts: { respond?: Responder } = {}): Promise<WebhookReceiver> => {
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let server: Server | undefined;
  let port = 0;

  const listen = async (): Promise<void> => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const r: ReceivedRequest = { path: req.url ?? '', headers: req.headers, body, json };
        requests.push(r);
        const answer = await receiver.respond(r);
        if (answer === 'hang') {
          hanging.add(res);
          return;
        }
        // The client may be gone meanwhile (a killed process): nothing to answer then.
        if (!res.destroyed)
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };

  const receiver: WebhookReceiver = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    respond: opts.respond ?? (() => ({ status: 204 })),
    async close() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const res of hanging) res.destroy();
      hanging.clear();
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    restart: listen,
  };
  await listen();
  return receiver;
};

/** Whether a received request carries a valid Gatehouse signature for `secret`. */
export const isSigned = (r: ReceivedRequest, secret: string): boolean =>
  verifySignature({
    secret,
    body: r.body,
    timestamp: r.headers['x-gatehouse-timestamp'] as string | undefined,
    signature: r.headers['x-gatehouse-signature'] as string | undefined,
    nowMs: Date.now(),
  });

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export const eventually = async <T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
