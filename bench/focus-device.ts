/**
 * Narrow run of the device-request cases only (issue 12 profiling): a fleet's rotated tokens on
 * PUT inventory, and polling (next + inventory), per store, repeated `--rounds` times.
 *   npx tsx bench/focus-device.ts [--dialects=sqlite,postgres] [--devices=1000] [--duration=2] [--rounds=1]
 * Not a replacement for `npm run bench`: no baselines, no validity report beyond status counts.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT_ID } from '../src/tenants/index.js';
import { focusOptions, focusSettings, forEachStore } from './lib/focus.js';
import { seedFleet } from './lib/gatehouse.js';
import { measureHttp } from './lib/http-case.js';
import { INVENTORY_PATH, NEXT_BODY, NEXT_PATH, POLL_INVENTORY_BODY } from './lib/wire.js';

const { values: a } = parseArgs({
  options: { ...focusOptions, devices: { type: 'string', default: '1000' } },
});
const { dialects, timing, rounds, connections } = focusSettings(a);
const fmt = (r: Awaited<ReturnType<typeof measureHttp>>) =>
  `${Math.round(r.rps)}/s p50 ${r.latencyMs.p50.toFixed(2)} ms p99 ${r.latencyMs.p99.toFixed(2)} ms srv ${(r.serverCpu * 100).toFixed(0)}% gen ${(r.generatorCpu * 100).toFixed(0)}%${r.problem ? ` PROBLEM ${r.problem}` : ''}`;
await forEachStore(dialects, async ({ dialect, server, load }) => {
  const fleet = await seedFleet(server.gh, Number(a.devices), 1);
  const attributes = JSON.parse(POLL_INVENTORY_BODY) as unknown;
  for (const d of fleet) {
    const p = await server.gh.devauth.device.checkToken(d.token);
    if (!p) throw new Error('seeded token refused');
    await server.gh.inventory.device.reportAttributes(DEFAULT_TENANT_ID, p.deviceId, attributes, 'replace');
  }
  // Count the prepared reads (Store.readRows) per request: the polling path's round trips.
  const store = server.gh.store;
  const readRows = store.readRows.bind(store);
  let reads = 0;
  store.readRows = (text, parameters, connection) => {
    reads += 1;
    return readRows(text, parameters, connection);
  };
  const variants = fleet.map((d) => ({ headers: { authorization: `Bearer ${d.token}` } }));
  for (let round = 0; round < rounds; round++) {
    let mark = reads;
    const rotated = await measureHttp(
      load,
      'rotated',
      {
        connections,
        url: `${server.url}${INVENTORY_PATH}`,
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: POLL_INVENTORY_BODY,
        variants,
      },
      timing,
    );
    const rotatedReads = reads - mark;
    mark = reads;
    const polling = await measureHttp(
      load,
      'polling',
      {
        connections,
        url: `${server.url}${NEXT_PATH}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        templates: [
          { method: 'POST', path: NEXT_PATH, body: NEXT_BODY },
          { method: 'PUT', path: INVENTORY_PATH, body: POLL_INVENTORY_BODY },
        ],
        variants,
      },
      timing,
    );
    const pollingReads = reads - mark;
    // Warm-up requests are counted too: reads per request over warm-up + measured run.
    const per = (n: number, r: typeof rotated) =>
      (n / (r.requests * (1 + timing.warmupSeconds / timing.durationSeconds))).toFixed(2);
    const cpuUs = (r: typeof rotated) => ((r.serverCpu / r.rps) * 1e6).toFixed(0);
    console.log(
      `${dialect} round ${round} load ${loadavg()[0]?.toFixed(2)}: rotated ${fmt(rotated)} ${cpuUs(rotated)} µs cpu/req ~${per(rotatedReads, rotated)} reads/req | polling ${fmt(polling)} ${cpuUs(polling)} µs cpu/req ~${per(pollingReads, polling)} reads/req`,
    );
  }
});
