/** Messages between the bench process (server side) and the load-generator child process. */

export interface LoadJob {
  id: number;
  /** Full URL including the path, e.g. http://127.0.0.1:40123/api/health. */
  url: string;
  method: 'GET' | 'POST' | 'PUT';
  headers: Record<string, string>;
  /** Sent byte-for-byte (auth request bodies are signed, so they must not be re-encoded). */
  body?: string;
  /**
   * When set, request i uses variant i mod n (one counter shared by all connections): its headers
   * are merged over `headers` and its body, if any, replaces `body`. Used to spread requests over
   * many devices (distinct tokens, or distinct signed auth requests).
   */
  variants?: { headers?: Record<string, string>; body?: string }[];
  /**
   * A mix of requests: request i is template i mod t (its method, path, headers and body replace
   * the job's), sent with variant ⌊i / t⌋ mod n, so each variant (device) sends every template
   * once per lap, back to back, before the next variant.
   */
  templates?: { method: LoadJob['method']; path: string; headers?: Record<string, string>; body?: string }[];
  connections: number;
  durationSeconds: number;
  /** When set, the run stops after this many requests instead of after `durationSeconds`. */
  amount?: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  id: number;
  /** Completed 2xx responses per second over the run. */
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Latency of 2xx responses in milliseconds (sub-millisecond resolution). */
  latencyMs: LatencySummary;
  /** The same per 2xx status code (a mix of request kinds is told apart by their status). */
  latencyByStatusMs: Record<string, LatencySummary>;
  durationSeconds: number;
  /** CPU time the load generator used, as a fraction of one core (near 1.0 = it may be the bottleneck). */
  generatorCpu: number;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; id: number; message: string };
