import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './types.js';

/**
 * The web console (web/, built by `npm run build` into web/dist), served at `/` by the same
 * process as the API (docs/principles.md#the-console-is-an-api-client): hashed assets for a
 * year, everything else revalidated, and a single-page-app fallback so that a reload of `/devices/<id>` gets index.html. Console
 * routes are left out of the OpenAPI document (they are no API).
 */

/** Security headers of every console response. */
export const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
export const CONSOLE_NOT_BUILT = 'console not built: run npm run build';

/**
 * Paths of the API and device protocols: never the console, whatever the router finds. Bare
 * `/bootstrap` is not among them: the bootstrap API lives below it, and the console's bootstrap
 * screen is at `/bootstrap` itself (a reload or a shared link must reach it).
 */
const API_PREFIXES = ['/api/', '/bootstrap/', '/.well-known/', '/pki/'];
const API_EXACT = new Set(['/api', '/.well-known', '/pki']);

const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/** A console page: GET/HEAD of a path outside the API whose last segment has no extension. */
const isConsolePage = (req: FastifyRequest): boolean => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = pathOf(req.url);
  if (API_EXACT.has(path) || API_PREFIXES.some((p) => path.startsWith(p))) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
};

/**
 * Registers the console (when `dir` exists) and returns the fallback the not-found handler asks
 * first: true when it answered (index.html, or the 404 that says the console is not built).
 */
export const installConsole = async (
  app: App,
  dir: string,
): Promise<(req: FastifyRequest, reply: FastifyReply) => Promise<boolean>> => {
  const indexFile = join(dir, 'index.html');

  const sendIndex = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    let html: Buffer;
    try {
      html = await readFile(indexFile);
    } catch {
      await reply.code(404).send({ error: CONSOLE_NOT_BUILT, request_id: req.id });
      return;
    }
    await reply
      .headers({ ...CONSOLE_HEADERS, 'cache-control': REVALIDATE })
      .type('text/html; charset=utf-8')
      .send(html);
  };

  if (existsSync(dir) && statSync(dir).isDirectory()) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      // `/` and console pages are answered by sendIndex (headers of our own, no directory listing).
      index: false,
      wildcard: true,
      dotfiles: 'ignore',
      cacheControl: false,
      decorateReply: false,
      schemaHide: true,
      setHeaders: (res, filePath) => {
        for (const [k, v] of Object.entries(CONSOLE_HEADERS)) res.setHeader(k, v);
        const rel = filePath.slice(dir.length).replace(/\\/g, '/');
        res.setHeader('cache-control', rel.startsWith('/assets/') ? IMMUTABLE : REVALIDATE);
      },
    });
  }
  // `/` itself (the wildcard route would look for a file named "").
  app.route({
    method: ['GET', 'HEAD'],
    url: '/',
    schema: { hide: true },
    handler: sendIndex,
  });

  return async (req, reply) => {
    if (!isConsolePage(req)) return false;
    await sendIndex(req, reply);
    return true;
  };
};
