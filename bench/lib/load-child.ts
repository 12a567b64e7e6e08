import autocannon, { type AutocannonRequest } from 'autocannon';
import type { ChildMessage, LatencySummary, LoadJob, LoadResult } from './load-protocol.js';

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

/** A growable list of latencies (autocannon's own histogram has 1 ms resolution). */
class Latencies {
  private values = new Float64Array(1 << 12);
  count = 0;
  push(v: number) {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = v;
  }
  summary(): LatencySummary {
    const sorted = this.values.subarray(0, this.count).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: this.count > 0 ? (sorted[this.count - 1] ?? 0) : 0,
      mean: this.count > 0 ? sum / this.count : 0,
    };
  }
}

const requestsOf = (job: LoadJob): AutocannonRequest[] | undefined => {
  const { variants, templates } = job;
  if (!variants && !templates) return undefined;
  const t = templates?.length ?? 1;
  let next = 0;
  return [
    {
      setupRequest: (req: AutocannonRequest) => {
        const i = next++;
        const tpl = templates?.[i % t];
        const v = variants?.[Math.floor(i / t) % variants.length] ?? {};
        return {
          ...req,
          ...(tpl && { method: tpl.method, path: tpl.path }),
          headers: { ...req.headers, ...tpl?.headers, ...v.headers },
          ...(tpl?.body !== undefined && { body: tpl.body }),
          ...(v.body !== undefined && { body: v.body }),
        };
      },
    },
  ];
};

const run = async (job: LoadJob): Promise<LoadResult> => {
  // Every 2xx latency is kept, overall and per status code.
  const all = new Latencies();
  const byStatus = new Map<number, Latencies>();
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const instance = autocannon({
    url: job.url,
    method: job.method,
    headers: job.headers,
    body: job.body,
    connections: job.connections,
    pipelining: 1,
    ...(job.amount === undefined ? { duration: job.durationSeconds } : { amount: job.amount }),
    timeout: 10,
    requests: requestsOf(job),
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode < 200 || statusCode >= 300) return;
    all.push(responseTimeMs);
    let l = byStatus.get(statusCode);
    if (!l) {
      l = new Latencies();
      byStatus.set(statusCode, l);
    }
    l.push(responseTimeMs);
  });
  const r = await instance;
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats)) statusCodes[code] = s.count;
  const latencyByStatusMs: Record<string, LatencySummary> = {};
  for (const [code, l] of byStatus) latencyByStatusMs[code] = l.summary();
  return {
    id: job.id,
    rps: r['2xx'] / r.duration,
    requests: r['2xx'] + r.non2xx,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    latencyMs: all.summary(),
    latencyByStatusMs,
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
