import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ipLiteralOf, isPrivateAddress } from './webhooks-target.js';

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Response bytes kept; the rest is not read (the connection is closed). */
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface OutboundResult {
  statusCode: number | null;
  body: Buffer;
  /** The response body was longer than maxResponseBytes. */
  truncated: boolean;
  /** Network failure, timeout or refused target; null when a response arrived. */
  error: string | null;
  timedOut: boolean;
  /** Aborted by the caller's signal (shutdown): not an attempt. */
  aborted: boolean;
  durationMs: number;
}

/** Sends one webhook request; never throws (failures are in the result). Injected for tests. */
export type HttpSender = (req: OutboundRequest) => Promise<OutboundResult>;

class TargetRefused extends Error {
  readonly code = 'EGATEHOUSE_TARGET';
}

const refused = (address: string) =>
  new TargetRefused(
    `target address ${address} is loopback, private or reserved (GATEHOUSE_WEBHOOK_ALLOW_PRIVATE_TARGETS is off)`,
  );

/** dns.lookup that refuses host names resolving to any private address (checked at connect time). */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, options as LookupOptions, (err, address, family) => {
    if (err) return callback(err, address as string, family);
    const all: LookupAddress[] = Array.isArray(address) ? address : [{ address, family: family ?? 4 }];
    const bad = all.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(refused(bad.address) as NodeJS.ErrnoException, '', 0);
    // biome-ignore lint/suspicious/noExplicitAny: node's overloaded callback (single or all addresses).
    (callback as any)(null, address, family);
  });
};

/**
 * The real sender: node:http(s), one connection per request (no keep-alive: nothing lingers
 * after shutdown), no redirects followed (a 3xx is just a non-2xx answer), an overall deadline
 * covering connect, headers and body, and a bounded read of the response body.
 */
export const createHttpSender =
  (opts: { allowPrivate: boolean }): HttpSender =>
  (req) =>
    new Promise<OutboundResult>((resolve) => {
      const started = performance.now();
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      let statusCode: number | null = null;
      let timedOut = false;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const finish = (error: string | null) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (onAbort) req.signal?.removeEventListener('abort', onAbort);
        resolve({
          statusCode,
          body: Buffer.concat(chunks),
          truncated,
          error,
          timedOut,
          aborted: req.signal?.aborted === true && !timedOut && statusCode === null,
          durationMs: Math.round(performance.now() - started),
        });
      };

      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        return finish('invalid url');
      }
      const ip = ipLiteralOf(url);
      if (!opts.allowPrivate && ip !== undefined && isPrivateAddress(ip)) return finish(refused(ip).message);

      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing = send(url, {
        method: 'POST',
        headers: {
          ...req.headers,
          'content-length': String(Buffer.byteLength(req.body)),
          connection: 'close',
        },
        agent: false,
        ...(opts.allowPrivate ? {} : { lookup: guardedLookup }),
      });
      timer = setTimeout(() => {
        timedOut = true;
        outgoing.destroy(new Error(`timed out after ${req.timeoutMs} ms`));
      }, req.timeoutMs);
      onAbort = () => outgoing.destroy(new Error('aborted'));
      req.signal?.addEventListener('abort', onAbort, { once: true });

      outgoing.on('error', (e: NodeJS.ErrnoException) => {
        if (statusCode !== null && !timedOut) return finish(null);
        finish(timedOut ? `timed out after ${req.timeoutMs} ms` : describe(e));
      });
      outgoing.on('response', (res: IncomingMessage) => {
        statusCode = res.statusCode ?? null;
        res.on('data', (chunk: Buffer) => {
          if (kept + chunk.length > req.maxResponseBytes) {
            chunks.push(chunk.subarray(0, req.maxResponseBytes - kept));
            kept = req.maxResponseBytes;
            truncated = true;
            res.destroy();
            finish(null);
            return;
          }
          chunks.push(chunk);
          kept += chunk.length;
        });
        res.on('end', () => finish(null));
        res.on('error', () => finish(timedOut ? `timed out after ${req.timeoutMs} ms` : null));
        res.on('close', () => finish(timedOut ? `timed out after ${req.timeoutMs} ms` : null));
      });
      outgoing.end(req.body);
    });

const describe = (e: NodeJS.ErrnoException): string => {
  if (e instanceof TargetRefused) return e.message;
  const code = e.code ? `${e.code}: ` : '';
  return `${code}${e.message}`.slice(0, 500);
};
