import type { BigArtifactOutcome, BigArtifactResults } from './big-artifact.js';
import type { DialectName } from './databases.js';
import type { HttpCaseResult } from './http-case.js';
import { MiB } from './http-transfer.js';
import type { PollingResults } from './polling.js';
import type { MemoryWindow } from './server-protocol.js';
import { fmtInt, fmtMs, fmtPct, fmtRatio, renderTable } from './table.js';

/** Results of the deployment-era measurements (issue #3). */
export interface DeploymentOutcome {
  polling: Partial<Record<DialectName, PollingResults>>;
  /** Polling runs that threw (the rest of the bench goes on). */
  pollingErrors: Partial<Record<DialectName, string>>;
  /** null: not run (--no-big). */
  bigArtifact: BigArtifactOutcome | { error: string } | null;
}

export interface DeploymentProblem {
  case: string;
  problem: string;
  serverErrors?: Record<string, number>;
}

const fmtMiB = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
/** Sizes as the settings give them: 100 MiB, 1 GiB, 100.01 MiB. */
const fmtSize = (bytes: number) =>
  bytes >= 1024 * MiB
    ? `${Number((bytes / (1024 * MiB)).toFixed(2))} GiB`
    : `${Number((bytes / MiB).toFixed(2))} MiB`;
const fmtRate = (mibPerSecond: number) => `${mibPerSecond.toFixed(0)} MiB/s`;
const cell = (r: number | null) => (r === null ? '-' : fmtRatio(r));

const pollingCases = (p: PollingResults): [string, HttpCaseResult][] => [
  ['no deployment', p.noDeployment],
  ...(p.finishedDeployment
    ? [[`finished deployment of ${p.devices}`, p.finishedDeployment] as [string, HttpCaseResult]]
    : []),
];

const ratio = (c: HttpCaseResult, base: number | null): number | null =>
  c.problem || !base ? null : c.rps / base;

const peakRatio = (r: BigArtifactResults): number | null =>
  r.small.problem || r.big.problem ? null : r.big.memory.peakRss / r.small.memory.peakRss;

export const deploymentRatios = (
  o: DeploymentOutcome,
  bare: number | null,
): Record<string, number | null> => {
  const out: Record<string, number | null> = {};
  for (const [dialect, p] of Object.entries(o.polling)) {
    out[`${dialect}.polling.no_deployment_per_bare`] = ratio(p.noDeployment, bare);
    if (p.finishedDeployment)
      out[`${dialect}.polling.finished_deployment_per_bare`] = ratio(p.finishedDeployment, bare);
  }
  const big = o.bigArtifact && 'results' in o.bigArtifact ? o.bigArtifact.results : null;
  if (big) {
    out['artifact.upload.peak_rss_big_per_small'] = peakRatio(big);
    out['artifact.upload.peak_rss_big_per_idle'] = big.big.problem
      ? null
      : big.big.memory.peakRss / big.idle.peakRss;
    out['artifact.upload.per_sink'] = big.big.problem
      ? null
      : big.big.transfer.mibPerSecond / big.sink.mibPerSecond;
    out['artifact.download.per_disk_read'] =
      big.download && !big.download.problem && big.diskRead
        ? big.download.transfer.mibPerSecond / big.diskRead.mibPerSecond
        : null;
  }
  return out;
};

export const deploymentProblems = (o: DeploymentOutcome): DeploymentProblem[] => {
  const out: DeploymentProblem[] = [];
  for (const p of Object.values(o.polling)) {
    for (const [, c] of pollingCases(p)) {
      if (c.problem)
        out.push({
          case: c.name,
          problem: c.problem,
          ...(c.serverErrors && { serverErrors: c.serverErrors }),
        });
    }
  }
  for (const [d, e] of Object.entries(o.pollingErrors)) out.push({ case: `${d}: polling`, problem: e });
  if (o.bigArtifact && 'error' in o.bigArtifact)
    out.push({ case: 'artifact upload/download', problem: o.bigArtifact.error });
  const big = o.bigArtifact && 'results' in o.bigArtifact ? o.bigArtifact.results : null;
  if (big) {
    for (const u of [big.small, big.big]) {
      if (u.problem) out.push({ case: `upload ${fmtSize(u.payloadBytes)}`, problem: u.problem });
    }
    if (big.download?.problem) out.push({ case: 'artifact download', problem: big.download.problem });
    if (big.sink.status !== 201) out.push({ case: 'upload sink', problem: `answered ${big.sink.status}` });
  }
  return out;
};

const memoryRow = (name: string, m: MemoryWindow, idle: MemoryWindow): string[] => [
  name,
  fmtMiB(m.peakRss),
  `+${fmtMiB(Math.max(0, m.peakRss - idle.peakRss))}`,
  fmtMiB(m.endRss),
  fmtMiB(m.heapUsed),
  fmtMiB(m.arrayBuffers),
  fmtPct(m.cpu),
];

const renderBig = (r: BigArtifactResults): string[] => {
  const rows = [
    memoryRow('idle (1 s)', r.idle, r.idle),
    memoryRow(`upload ${fmtSize(r.small.payloadBytes)}`, r.small.memory, r.idle),
    memoryRow(`upload ${fmtSize(r.big.payloadBytes)}`, r.big.memory, r.idle),
    ...(r.download
      ? [memoryRow(`download ${fmtSize(r.big.payloadBytes)} ×2`, r.download.memory, r.idle)]
      : []),
  ];
  const hwm = r.big.memory.hwmRss !== null;
  const lines = [
    `Artifact upload — server memory, Gatehouse alone in a child process (SQLite); peak = ${hwm ? 'kernel VmHWM, reset per row' : 'RSS sampled every 50 ms'}`,
    renderTable(
      ['phase', 'peak RSS', 'over idle', 'RSS after', 'heap used', 'array buffers', 'server cpu'],
      rows,
    ),
    `  peak ${fmtSize(r.big.payloadBytes)} / peak ${fmtSize(r.small.payloadBytes)}: ${cell(peakRatio(r))}` +
      '   (1.0 = memory does not grow with artifact size)',
    '',
    'Artifact transfer throughput — node:http client in the bench process, loopback',
    renderTable(
      ['transfer', 'size', 'time', 'rate', 'baseline', 'baseline rate', 'ratio'],
      [
        [
          `upload ${fmtSize(r.small.payloadBytes)} (multipart, streamed)`,
          fmtSize(r.small.transfer.bytes),
          `${r.small.transfer.seconds.toFixed(2)} s`,
          fmtRate(r.small.transfer.mibPerSecond),
          'bare node:http sink',
          fmtRate(r.sink.mibPerSecond),
          r.small.problem ? '-' : fmtRatio(r.small.transfer.mibPerSecond / r.sink.mibPerSecond),
        ],
        [
          `upload ${fmtSize(r.big.payloadBytes)} (multipart, streamed)`,
          fmtSize(r.big.transfer.bytes),
          `${r.big.transfer.seconds.toFixed(2)} s`,
          fmtRate(r.big.transfer.mibPerSecond),
          'bare node:http sink',
          fmtRate(r.sink.mibPerSecond),
          r.big.problem ? '-' : fmtRatio(r.big.transfer.mibPerSecond / r.sink.mibPerSecond),
        ],
        ...(r.download && r.diskRead
          ? [
              [
                `download ${fmtSize(r.big.payloadBytes)} (signed link)`,
                fmtSize(r.download.transfer.bytes),
                `${r.download.transfer.seconds.toFixed(2)} s`,
                fmtRate(r.download.transfer.mibPerSecond),
                'fs read of the blob',
                fmtRate(r.diskRead.mibPerSecond),
                r.download.problem
                  ? '-'
                  : fmtRatio(r.download.transfer.mibPerSecond / r.diskRead.mibPerSecond),
              ],
            ]
          : []),
      ],
    ),
    '  upload: the whole multipart body until the 201 (parse, verify every checksum, write the blob);' +
      ' sink: the same body, read and dropped.',
    `  download: best of 2, alternated with the file reads; Content-Length ${r.download?.contentLength ?? '-'}` +
      `${r.download?.contentLength === r.big.artifactBytes ? ' = artifact size' : ''}.` +
      ` Artifacts built in ${r.buildSeconds.toFixed(1)} s.`,
  ];
  return lines;
};

/** The sections of the deployment-era measurements, separated by blank lines. */
export const renderDeploymentSections = (
  o: DeploymentOutcome,
  bare: number | null,
  settings: { connections: number },
): string[] => {
  const parts: string[] = [];
  const runs = Object.values(o.polling);
  if (runs.length > 0) {
    const rows = runs.flatMap((p) =>
      pollingCases(p).map(([name, c]) => {
        const next = c.latencyByStatusMs['204'];
        const inv = c.latencyByStatusMs['200'];
        return [
          p.dialect,
          name,
          c.problem ? 'INVALID' : fmtInt(c.rps),
          cell(ratio(c, bare)),
          fmtMs(c.latencyMs.p50),
          fmtMs(c.latencyMs.p99),
          next ? `${fmtMs(next.p50)} / ${fmtMs(next.p99)}` : '-',
          inv ? `${fmtMs(inv.p50)} / ${fmtMs(inv.p99)}` : '-',
          fmtPct(c.serverCpu),
          fmtPct(c.generatorCpu),
        ];
      }),
    );
    const devices = runs[0]?.devices ?? 0;
    parts.push(
      `Device polling — ${fmtInt(devices)} accepted devices, tokens rotated; requests alternate POST deployments/next`,
      '  (answers 204) and PUT inventory/device/attributes (3 attributes, unchanged since the last report; answers 200)',
      renderTable(
        [
          'store',
          'case',
          'polls/s',
          'vs bare',
          'p50',
          'p99',
          'next p50 / p99',
          'inventory p50 / p99',
          'server cpu',
          'loadgen cpu',
        ],
        rows,
      ),
      `  ${settings.connections} in flight. finished deployment: every device has a row of a finished deployment (inactive).`,
    );
    for (const p of runs) {
      const d = p.deployment;
      parts.push(
        `  ${p.dialect}: seeding ${p.seedSeconds.toFixed(1)} s, token check + first inventory ${p.prepareSeconds.toFixed(1)} s` +
          (d
            ? `; deployment created in ${d.createSeconds.toFixed(2)} s, ${d.finishedDevices} devices through next + success` +
              ` at ${d.devicesFinishedPerSecond.toFixed(0)}/s, the rest aborted in ${d.abortSeconds.toFixed(2)} s ` +
              `(${Object.entries(d.statistics)
                .filter(([, n]) => n > 0)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ')})`
            : ''),
      );
      if (p.skipped) parts.push(`  ${p.dialect}: ${p.skipped}`);
    }
    parts.push('');
  }
  for (const d of Object.keys(o.pollingErrors)) parts.push(`polling ${d}: FAILED (see PROBLEMS)`, '');
  if (o.bigArtifact === null) parts.push('Artifact upload/download: skipped (--no-big)', '');
  else if ('error' in o.bigArtifact) parts.push('Artifact upload/download: FAILED (see PROBLEMS)', '');
  else if ('skipped' in o.bigArtifact)
    parts.push(`Artifact upload/download: skipped — ${o.bigArtifact.skipped}`, '');
  else parts.push(...renderBig(o.bigArtifact.results), '');
  while (parts.at(-1) === '') parts.pop();
  return parts;
};
