import { bareCapacity, type SignatureBaseline } from './baselines.js';
import { BREAKDOWN_LABELS } from './breakdown.js';
import { type CertBaseline, CLIENT_CERT_HEADER } from './cert-auth.js';
import type { DialectName } from './databases.js';
import type { DialectResults } from './dialect-run.js';
import type { HttpCaseResult } from './http-case.js';
import {
  type DeploymentOutcome,
  deploymentProblems,
  deploymentRatios,
  renderDeploymentSections,
} from './report-deployments.js';
import { fmtInt, fmtMs, fmtPct, fmtRatio, fmtUs, renderTable } from './table.js';

export const KEY_LABEL: Record<string, string> = {
  ed25519: 'Ed25519',
  ec: 'ECDSA P-256',
  rsa3072: 'RSA-3072',
};

export interface Machine {
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  totalMemoryGiB: number;
  gitCommit: string | null;
  /** 1-minute load average when the bench started. */
  loadAverageAtStart: number;
}

export interface BenchOutcome {
  machine: Machine;
  settings: { durationSeconds: number; warmupSeconds: number; connections: number; fleetSize: number };
  signatures: Record<string, SignatureBaseline>;
  /** Baseline of the client-certificate case: chain signature + auth request signature. */
  clientCertificate: CertBaseline;
  /** Baseline B, measured before and after the Gatehouse cases (drift shows as a spread). */
  bareRuns: HttpCaseResult[];
  results: Partial<Record<DialectName, DialectResults>>;
  skipped: Partial<Record<DialectName, string>>;
  /** Polling, artifact upload and download (issue #3). */
  deployments: DeploymentOutcome;
}

export interface Problem {
  case: string;
  problem: string;
  serverErrors?: Record<string, number>;
}

/** Baseline B as one number: its rate per second of server CPU time, mean of its valid runs (baselines.ts). */
export const bareRps = (o: BenchOutcome): number | null => bareCapacity(o.bareRuns);

/** Baseline B's measured rate (what the load generator reached), mean of its valid runs. */
const bareMeasured = (o: BenchOutcome): number | null => {
  const ok = o.bareRuns.filter((r) => !r.problem);
  return ok.length === 0 ? null : ok.reduce((sum, r) => sum + r.rps, 0) / ok.length;
};

export const collectProblems = (o: BenchOutcome): Problem[] => {
  const cases = [...o.bareRuns];
  for (const r of Object.values(o.results)) {
    cases.push(
      ...Object.values(r.auth),
      r.authFleet,
      r.admission,
      r.device.oneToken,
      r.device.fleet,
      r.device.fleetCheckInDue,
      ...(r.authCert ? [r.authCert] : []),
    );
  }
  const setupFailures = Object.values(o.results).flatMap((r): Problem[] =>
    r.authCertError
      ? [{ case: `${r.dialect}: auth requests with a client certificate`, problem: r.authCertError }]
      : [],
  );
  return [
    ...setupFailures,
    ...cases.flatMap((c): Problem[] =>
      c.problem
        ? [{ case: c.name, problem: c.problem, ...(c.serverErrors && { serverErrors: c.serverErrors }) }]
        : [],
    ),
    ...deploymentProblems(o.deployments),
  ];
};

const ratioOf = (c: HttpCaseResult, base: number | null | undefined): number | null =>
  c.problem || !base ? null : c.rps / base;

/** The target-relevant numbers, flat, for comparing runs (null: the case was invalid). */
export const ratios = (o: BenchOutcome): Record<string, number | null> => {
  const out: Record<string, number | null> = {};
  const bare = bareRps(o);
  for (const [dialect, r] of Object.entries(o.results)) {
    for (const [kind, a] of Object.entries(r.auth)) {
      out[`${dialect}.auth.${kind}_per_verify`] = ratioOf(a, o.signatures[kind]?.rawVerify.opsPerSecond);
    }
    out[`${dialect}.auth.ed25519_fleet_per_verify`] = ratioOf(
      r.authFleet,
      o.signatures.ed25519?.rawVerify.opsPerSecond,
    );
    // Null also when the case could not be set up (authCertError).
    out[`${dialect}.auth.cert_proxy_ec_per_verify`] = r.authCert
      ? ratioOf(r.authCert, o.clientCertificate.both.opsPerSecond)
      : null;
    out[`${dialect}.auth.cert_proxy_ec_per_plain_ec`] =
      r.authCert && r.auth.ec && !r.auth.ec.problem ? ratioOf(r.authCert, r.auth.ec.rps) : null;
    out[`${dialect}.auth.first_admissions_per_second`] = r.admission.problem ? null : r.admission.rps;
    out[`${dialect}.device.one_token_per_bare`] = ratioOf(r.device.oneToken, bare);
    out[`${dialect}.device.fleet_per_bare`] = ratioOf(r.device.fleet, bare);
    out[`${dialect}.device.fleet_checkin_due_per_bare`] = ratioOf(r.device.fleetCheckInDue, bare);
  }
  return { ...out, ...deploymentRatios(o.deployments, bare) };
};

const rpsCell = (c: HttpCaseResult) => (c.problem ? 'INVALID' : fmtInt(c.rps));
const ratioCell = (r: number | null) => (r === null ? '-' : fmtRatio(r));
const loadCells = (c: HttpCaseResult) => [
  fmtMs(c.latencyMs.p50),
  fmtMs(c.latencyMs.p99),
  fmtPct(c.serverCpu),
  fmtPct(c.generatorCpu),
];
const LOAD_HEADER = ['p50', 'p99', 'server cpu', 'loadgen cpu'];

export const renderReport = (o: BenchOutcome, problems: Problem[]): string => {
  const { machine: m, settings: s } = o;
  const bare = bareRps(o);
  const parts: string[] = [
    `Gatehouse bench — ${m.cpus} × ${m.cpuModel}, Node ${m.node}, ${m.date}` +
      `${m.gitCommit ? `, commit ${m.gitCommit}` : ''}; load average at start ${m.loadAverageAtStart}` +
      (m.loadAverageAtStart > m.cpus / 2 ? ' (machine busy: numbers may be noisy)' : ''),
    `HTTP: autocannon in a child process, ${s.connections} connections, pipelining 1, ` +
      `${s.durationSeconds} s per case after ${s.warmupSeconds} s warm-up; server on 127.0.0.1.`,
    '',
    'Baseline A — signature verification, node:crypto, one thread, same bodies as the auth requests',
    renderTable(
      ['key', 'body', 'raw verify/s', 'µs/verify', 'auth checks/s', 'µs/check', 'checks/verify'],
      Object.values(o.signatures).map((sig) => [
        KEY_LABEL[sig.kind] ?? sig.kind,
        `${sig.bodyBytes} B`,
        fmtInt(sig.rawVerify.opsPerSecond),
        fmtUs(sig.rawVerify.microsPerOp),
        fmtInt(sig.authRequestChecks.opsPerSecond),
        fmtUs(sig.authRequestChecks.microsPerOp),
        fmtRatio(sig.authRequestChecks.opsPerSecond / sig.rawVerify.opsPerSecond),
      ]),
    ),
    '  auth checks = verifyAuthRequest: JSON + identity parse, public key import from PEM, verify.',
    renderTable(
      ['client certificate (ECDSA P-256 CA → P-256 device)', 'verify/s', 'µs/verify'],
      (
        [
          ['leaf signature, CA key (X509Certificate.verify)', o.clientCertificate.chainVerify],
          [
            `auth request signature (${o.clientCertificate.bodyBytes} B body)`,
            o.clientCertificate.authVerify,
          ],
          ['both = raw chain+verify', o.clientCertificate.both],
        ] as const
      ).map(([what, mr]) => [what, fmtInt(mr.opsPerSecond), fmtUs(mr.microsPerOp)]),
    ),
    '',
    'Baseline B — bare Fastify GET returning small JSON (same load settings), before and after',
    renderTable(
      ['run', 'req/s', 'req/s per server cpu', ...LOAD_HEADER],
      [
        ...o.bareRuns.map((r, i) => [
          i === 0 ? 'before' : 'after',
          rpsCell(r),
          r.problem || r.serverCpu <= 0 ? '-' : fmtInt(r.rps / Math.min(1, r.serverCpu)),
          ...loadCells(r),
        ]),
        ['mean', fmtInt(bareMeasured(o) ?? 0), bare === null ? '-' : fmtInt(bare)],
      ],
    ),
    "  vs bare ratios below divide by req/s per server cpu (the route's rate when the load generator is",
    '  not the limit: the generator, near 100% cpu here, tops out before the bare server does).',
    '',
  ];

  const runs = Object.values(o.results);
  if (runs.length > 0) {
    const authRows = runs.flatMap((r) => {
      const cases: [string, string, HttpCaseResult][] = [
        ...Object.entries(r.auth).map(([kind, a]): [string, string, HttpCaseResult] => [kind, '1', a]),
        ['ed25519', `${s.fleetSize}`, r.authFleet],
      ];
      return cases.map(([kind, devices, a]) => [
        r.dialect,
        KEY_LABEL[kind] ?? kind,
        devices,
        rpsCell(a),
        ratioCell(ratioOf(a, o.signatures[kind]?.rawVerify.opsPerSecond)),
        ...loadCells(a),
      ]);
    });
    const deviceRows = runs.flatMap((r) =>
      (
        [
          ['1 token', r.device.oneToken],
          [`${s.fleetSize} tokens rotated`, r.device.fleet],
          [`${s.fleetSize} tokens, check-in due`, r.device.fleetCheckInDue],
        ] as const
      ).map(([name, c]) => [r.dialect, name, rpsCell(c), ratioCell(ratioOf(c, bare)), ...loadCells(c)]),
    );
    parts.push(
      'Device auth requests — POST auth_requests of accepted devices, their signed requests replayed',
      '  (each: parse + signature verify + auth set lookup + token row read; the young token is handed back)',
      renderTable(['store', 'key', 'devices', 'auth req/s', 'auth/verify', ...LOAD_HEADER], authRows),
      '',
      'First admission — POST auth_requests of preauthorized Ed25519 devices, each device once',
      '  (each: parse + signature verify + auth set lookup + JWT signed + one transaction: device locked,',
      '   auth set accepted, token row and check-in written)',
      renderTable(
        ['store', 'devices', 'admissions/s', 'vs ed25519 re-auth', ...LOAD_HEADER],
        runs.map((r) => {
          const reauth = r.auth.ed25519 && !r.auth.ed25519.problem ? r.auth.ed25519.rps : null;
          return [
            r.dialect,
            fmtInt(r.admission.devices),
            rpsCell(r.admission),
            ratioCell(ratioOf(r.admission, reauth)),
            ...loadCells(r.admission),
          ];
        }),
      ),
      `  preauthorizing them first: ${runs.map((r) => `${r.dialect} ${r.admission.seedSeconds.toFixed(1)} s`).join(', ')}`,
      '',
      `Device auth requests with a client certificate — edge-proxy header (${CLIENT_CERT_HEADER}: URL-encoded leaf PEM, ` +
        `${o.clientCertificate.headerBytes} B), ECDSA P-256, one admitted device re-authenticating`,
      '  (each: parse + signature verify + leaf chain check against the registered CA + enrollment lookups',
      '   + auth set lookup + token row read; the young token is handed back)',
      renderTable(
        ['store', 'auth req/s', 'auth/(chain+verify)', 'vs plain ec', ...LOAD_HEADER],
        runs.map((r) => {
          const c = r.authCert;
          if (!c) return [r.dialect, 'FAILED', '-', '-'];
          const plain = r.auth.ec && !r.auth.ec.problem ? r.auth.ec.rps : null;
          return [
            r.dialect,
            rpsCell(c),
            ratioCell(ratioOf(c, o.clientCertificate.both.opsPerSecond)),
            ratioCell(ratioOf(c, plain)),
            ...loadCells(c),
          ];
        }),
      ),
      '  vs plain ec = this req/s ÷ the ECDSA P-256 auth req/s above (same store): what the certificate costs.',
      '',
      'Device-authenticated requests — PUT inventory/device/attributes, 3 attributes',
      renderTable(['store', 'case', 'req/s', 'vs bare', ...LOAD_HEADER], deviceRows),
      "  check-in due: the server clock runs fast so each request is >60 s after the device's previous one,",
      '  as for a real fleet polling every few minutes; the service then also writes devices.check_in_at.',
      '',
      'In-process breakdown — one operation at a time, no HTTP (latency per op)',
      renderTable(
        ['operation', ...runs.map((r) => r.dialect)],
        Object.entries(BREAKDOWN_LABELS).map(([key, label]) => [
          label,
          ...runs.map((r) => {
            const mr = r.breakdown[key];
            return mr ? fmtUs(mr.microsPerOp) : '-';
          }),
        ]),
      ),
      `  seeding ${s.fleetSize} devices (preauthorize + authenticate): ` +
        runs.map((r) => `${r.dialect} ${r.seedSeconds.toFixed(1)} s`).join(', '),
    );
  }
  parts.push('', ...renderDeploymentSections(o.deployments, bare, s));
  for (const [d, why] of Object.entries(o.skipped)) parts.push(`${d}: skipped — ${why}`);
  if (problems.length > 0) {
    parts.push(
      '',
      `PROBLEMS — ${problems.length} case(s) got answers other than expected or failed; their numbers are invalid:`,
    );
    for (const p of problems) {
      parts.push(`  ${p.case}: ${p.problem}`);
      for (const [msg, n] of Object.entries(p.serverErrors ?? {}))
        parts.push(`    server error ×${n}: ${msg}`);
    }
  }
  return parts.join('\n');
};
