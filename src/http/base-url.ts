import type { FastifyRequest } from 'fastify';

/**
 * The base URL for links handed to a client: the configured public URL, or else the scheme and
 * Host the request came in with (so a device that reached us at http://gw.local:8080 is told to
 * download from there). The Host header is length- and character-checked.
 */
export const baseUrlFor = (
  config: { publicUrl: string; publicUrlConfigured: boolean },
  req: FastifyRequest,
): string => {
  if (config.publicUrlConfigured) return config.publicUrl;
  const host = req.headers.host;
  if (typeof host === 'string' && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host)) return `${req.protocol}://${host}`;
  return config.publicUrl;
};
