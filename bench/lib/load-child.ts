import autocannon, { type AutocannonRequest } from 'autocannon';
import type { ChildMessage, LoadJob, LoadResult } from './load-protocol.js';

/**
 * The load generator, run in its own process (forked by load-generator.ts) so that building
 * requests and parsing responses does not share an event loop or a core with the server being
 * measured.
 */

const send = (m: ChildMessage) => process.send?.(m);

const percentile = (sorted: Float64Array, p: number): number => {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
};

const run = async (job: LoadJob): Promise<LoadResult> => {
  const variants = job.variants;
  let next = 0;
  const requests: AutocannonRequest[] | undefined = variants
    ? [
        {
          setupRequest: (req: AutocannonRequest) => {
            const v = variants[next++ % variants.length] ?? {};
            return {
              ...req,
              headers: { ...req.headers, ...v.headers },
              ...(v.body !== undefined && { body: v.body }),
            };
          },
        },
      ]
    : undefined;

  // autocannon's own histogram has 1 ms resolution; keep every 2xx latency to get finer percentiles.
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const instance = autocannon({
    url: job.url,
    method: job.method,
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    pipelining: 1,
    duration: job.durationSeconds,
    timeout: 10,
    requests,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode < 200 || statusCode >= 300) return;
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = responseTimeMs;
  });
  const r = await instance;
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  const sorted = latencies.subarray(0, count).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats)) statusCodes[code] = s.count;
  return {
    id: job.id,
    rps: r['2xx'] / r.duration,
    requests: r['2xx'] + r.non2xx,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: count > 0 ? (sorted[count - 1] ?? 0) : 0,
      mean: count > 0 ? sum / count : 0,
    },
    durationSeconds: r.duration,
    generatorCpu: (cpu.user + cpu.system) / wallUs,
  };
};

process.on('message', (job: LoadJob) => {
  run(job).then(
    (result) => send({ type: 'result', result }),
    (e: unknown) => send({ type: 'error', id: job.id, message: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
