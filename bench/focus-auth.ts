/**
 * Narrow run of the auth-request cases only (issue 12 profiling): one accepted device's signed
 * request replayed per key type, per store, next to raw signature verification of the same body.
 *   npx tsx bench/focus-auth.ts [--dialects=sqlite,postgres] [--kinds=ed25519,ec,rsa3072] [--duration=2] [--rounds=1]
 *     [--profile=prefix]   (a CPU profile of the server's thread per store and key, last round: prefix-<store>-<key>.cpuprofile)
 * Not a replacement for `npm run bench`: no bare-route baseline, no validity report beyond status counts.
 */
import { parseArgs } from 'node:util';
import { measureSignatureBaseline } from './lib/baselines.js';
import { focusOptions, focusSettings, forEachStore, profiled } from './lib/focus.js';
import { makeSignedAuthRequest, seedDevice } from './lib/gatehouse.js';
import { measureHttp } from './lib/http-case.js';
import { AUTH_PATH } from './lib/wire.js';

const { values: a } = parseArgs({
  options: {
    ...focusOptions,
    kinds: { type: 'string', default: 'ed25519,ec,rsa3072' },
    profile: { type: 'string' },
  },
});
const { dialects, timing, rounds, connections } = focusSettings(a);
const kinds = a.kinds.split(',') as Parameters<typeof makeSignedAuthRequest>[0][];
const requests = kinds.map((kind, i) => makeSignedAuthRequest(kind, i + 1));
const raw = Object.fromEntries(
  requests.map((r) => [r.kind, measureSignatureBaseline(r, 600).rawVerify.opsPerSecond]),
);
await forEachStore(dialects, async ({ dialect, server, load }) => {
  for (const req of requests) await seedDevice(server.gh, req);
  for (let round = 0; round < rounds; round++) {
    for (const req of requests) {
      const profile =
        a.profile && round === rounds - 1 ? `${a.profile}-${dialect}-${req.kind}.cpuprofile` : undefined;
      const r = await profiled(profile, () =>
        measureHttp(
          load,
          `${dialect} ${req.kind}`,
          {
            connections,
            url: `${server.url}${AUTH_PATH}`,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: 'Bearer ',
              'x-men-signature': req.signature,
            },
            body: req.authBody.toString('utf8'),
          },
          timing,
        ),
      );
      const ratio = r.rps / (raw[req.kind] ?? 1);
      console.log(
        `${dialect} ${req.kind}: ${Math.round(r.rps)}/s ÷ raw ${Math.round(raw[req.kind] ?? 0)}/s = ${ratio.toFixed(2)}` +
          ` p99 ${r.latencyMs.p99.toFixed(2)} ms srv ${(r.serverCpu * 100).toFixed(0)}% gen ${(r.generatorCpu * 100).toFixed(0)}%` +
          `${r.problem ? ` PROBLEM ${r.problem}` : ''}`,
      );
    }
  }
});
