import type { LoadGenerator, LoadSpec } from './load-generator.js';
import type { LoadResult } from './load-protocol.js';

export interface HttpCaseResult extends LoadResult {
  name: string;
  /** CPU time of the server process during the measured run, as a fraction of one core. */
  serverCpu: number;
  /**
   * Why the numbers of this case are not valid (non-2xx answers or connection errors in the
   * warm-up or measured run), or null. The run goes on so the other cases still get measured.
   */
  problem: string | null;
  /** Errors the server raised during the case (message → count), when it was asked to report them. */
  serverErrors?: Record<string, number>;
}

export interface HttpCaseTiming {
  durationSeconds: number;
  warmupSeconds: number;
}

const problemOf = (phase: string, r: LoadResult): string | null => {
  if (r.requests > 0 && r.non2xx === 0 && r.errors === 0 && r.timeouts === 0) return null;
  return (
    `${phase}: status counts ${JSON.stringify(r.statusCodes)}, ` +
    `${r.errors} connection errors, ${r.timeouts} timeouts`
  );
};

/** A warm-up run (discarded), then the measured run; anything but 2xx marks the case invalid. */
export const measureHttp = async (
  load: LoadGenerator,
  name: string,
  spec: Omit<LoadSpec, 'durationSeconds'>,
  timing: HttpCaseTiming,
): Promise<HttpCaseResult> => {
  const problems: string[] = [];
  if (timing.warmupSeconds > 0) {
    const w = problemOf('warm-up', await load.run({ ...spec, durationSeconds: timing.warmupSeconds }));
    if (w) problems.push(w);
  }
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const r = await load.run({ ...spec, durationSeconds: timing.durationSeconds });
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  const m = problemOf('measured run', r);
  if (m) problems.push(m);
  return {
    ...r,
    name,
    serverCpu: (cpu.user + cpu.system) / wallUs,
    problem: problems.length > 0 ? problems.join('; ') : null,
  };
};
