/**
 * Narrow run of the plain bootstrap fetch only (issue 12 profiling), next to the bare route,
 * per store, repeated `--rounds` times.
 *   npx tsx bench/focus-bootstrap.ts [--dialects=sqlite] [--configs=1000] [--duration=2] [--rounds=1]
 *     [--profile=file.cpuprofile]   (a CPU profile of the server's thread during the last plain run)
 * Not a replacement for `npm run bench`: the same seeding and ratio as bench/lib/bootstrap.ts,
 * without the v2 case and the results file.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT_ID } from '../src/tenants/index.js';
import { BARE_PATH, bareCapacity, startBareFastify } from './lib/baselines.js';
import { plainFetchLoad, seedBootstrapConfigs } from './lib/bootstrap.js';
import { focusOptions, focusSettings, forEachStore, profiled } from './lib/focus.js';
import { measureHttp } from './lib/http-case.js';

const { values: a } = parseArgs({
  options: {
    ...focusOptions,
    dialects: { type: 'string', default: 'sqlite' },
    configs: { type: 'string', default: '1000' },
    profile: { type: 'string' },
  },
});
const { dialects, timing, rounds, connections } = focusSettings(a);
const bare = await startBareFastify();
try {
  await forEachStore(dialects, async ({ dialect, server, load }) => {
    const devices = await seedBootstrapConfigs(server.gh, DEFAULT_TENANT_ID, Number(a.configs));
    for (let round = 0; round < rounds; round++) {
      const base = await measureHttp(
        load,
        'bare',
        { url: `${bare.url}${BARE_PATH}`, method: 'GET', headers: {}, connections },
        timing,
      );
      // The same app's cheapest route: what Gatehouse's own HTTP layer costs before any service.
      const health = await measureHttp(
        load,
        'health',
        { url: `${server.url}/api/health`, method: 'GET', headers: {}, connections },
        timing,
      );
      const plain = await profiled(a.profile && round === rounds - 1 ? a.profile : undefined, () =>
        measureHttp(load, 'plain', plainFetchLoad(server.url, devices, connections), timing),
      );
      const capacity = bareCapacity([base]);
      console.log(
        `${dialect} round ${round + 1}: bare ${Math.round(base.rps)}/s (${Math.round(capacity ?? 0)}/s per cpu); health ${Math.round(health.rps)}/s srv ${(health.serverCpu * 100).toFixed(0)}% = ${Math.round((health.serverCpu * 1e6) / health.rps)} µs; plain ${Math.round(plain.rps)}/s p99 ${plain.latencyMs.p99.toFixed(2)} ms srv ${(plain.serverCpu * 100).toFixed(0)}% = ${Math.round((plain.serverCpu * 1e6) / plain.rps)} µs/fetch; ratio ${capacity ? (plain.rps / capacity).toFixed(3) : '-'}${plain.problem ? ` PROBLEM ${plain.problem}` : ''}`,
      );
    }
  });
} finally {
  await bare.close();
}
