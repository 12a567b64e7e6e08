import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import {
  type DeviceImport,
  type DryRunSummary,
  formatOfFileName,
  type ManifestFormat,
  manifestFormats,
  newLeaseOwner,
  REPORT_HEADER,
  type RowResult,
  reportLine,
} from '../factory/index.js';
import type { Gatehouse } from '../wiring.js';
import { addConfigFlags, CliExit, OPENS, output, tenantOption, withTenant } from './cli-common.js';
import { createProgress } from './progress.js';

/** Exit code when some rows were conflicts or invalid (the others were imported). */
export const DEVICE_IMPORT_ROWS_REFUSED_EXIT = 2;
const PRINTED_PROBLEMS = 20;

interface ImportOpts extends Record<string, unknown> {
  tenant: string;
  format?: ManifestFormat;
  signature?: string;
  allowUnsigned?: boolean;
  dryRun?: boolean;
  report?: string;
  rows?: boolean;
  json?: boolean;
}

const rowJson = (r: RowResult) => ({
  line: r.line,
  outcome: r.outcome,
  ...(r.deviceId ? { device_id: r.deviceId } : {}),
  ...(r.reason ? { reason: r.reason } : {}),
});

const problemLine = (r: RowResult) =>
  `line ${r.line}: ${r.outcome}${r.deviceId ? ` (device ${r.deviceId})` : ''}: ${r.reason ?? ''}`;

const reportCsv = (rows: readonly RowResult[]) => `${REPORT_HEADER}${rows.map(reportLine).join('')}`;

/** Every problem row of an import, from the database (a resumed import's earlier runs included). */
const allProblems = async (gh: Gatehouse, tenantId: string, id: string): Promise<RowResult[]> => {
  const out: RowResult[] = [];
  for await (const p of gh.factory.imports.allProblems(tenantId, id))
    out.push({
      line: p.line,
      outcome: p.outcome,
      reason: p.reason,
      ...(p.deviceId ? { deviceId: p.deviceId } : {}),
    });
  return out;
};

const summaryLine = (c: {
  rows: number;
  created: number;
  unchanged: number;
  conflicts: number;
  invalid: number;
}) =>
  `${c.rows} rows: ${c.created} created, ${c.unchanged} unchanged, ${c.conflicts} conflicts, ${c.invalid} invalid`;

/** Runs (or follows, while another live runner holds it) an import to its end. */
const runToEnd = async (
  gh: Gatehouse,
  tenantId: string,
  job: DeviceImport,
  onResults: (r: readonly RowResult[]) => void,
): Promise<DeviceImport> => {
  const owner = newLeaseOwner();
  const progress = createProgress({ label: 'importing', total: job.linesTotal, unit: 'lines' });
  progress.set(job.doneLine);
  let current = job;
  while (current.status === 'queued' || current.status === 'running') {
    if (await gh.factory.imports.claim(current.id, owner)) {
      current = await gh.factory.imports.run(current.id, owner, (rs) => {
        onResults(rs);
        const last = rs[rs.length - 1];
        if (last) progress.set(last.line);
      });
      continue;
    }
    // Another live process runs it (a `serve` took it over, or a concurrent rerun): follow it.
    await sleep(1000);
    current = await gh.factory.imports.get(tenantId, current.id);
    progress.set(current.doneLine);
  }
  progress.finish();
  return current;
};

export const registerDevicesImport = (devices: Command): void => {
  addConfigFlags(
    devices
      .command('import')
      .description(
        'preauthorize the devices of a manifest (JSON Lines or CSV, docs/factory-manifests.md); idempotent, and a rerun after a crash finishes the same import',
      )
      .argument('<file>', 'the manifest')
      .option(...tenantOption())
      .option(
        '--format <format>',
        `${manifestFormats.join(' or ')} (default: from the file name)`,
        (v: string) => {
          if (!(manifestFormats as readonly string[]).includes(v))
            throw new InvalidArgumentError(`expected one of ${manifestFormats.join(', ')}`);
          return v as ManifestFormat;
        },
      )
      .option('--signature <file>', 'the detached signature (default: <file>.sig when it exists)')
      .option('--allow-unsigned', 'import a manifest that has no signature')
      .option('--dry-run', 'decide every row and report, changing nothing')
      .option('--report <file>', 'write every problem row (conflict, invalid) to this CSV file')
      .option('--rows', 'print every row’s result as a JSON line on stdout as it is decided')
      .option('--json', 'JSON summary output'),
    [...OPENS, 'import'],
  ).action(async (file: string, opts: ImportOpts) => {
    const format = opts.format ?? formatOfFileName(file);
    if (!format)
      throw new CliExit('cannot tell the manifest format from the file name: give --format jsonl|csv', 1);
    if (!existsSync(file)) throw new CliExit(`${file}: no such file`, 1);
    const sigFile = opts.signature ?? (existsSync(`${file}.sig`) ? `${file}.sig` : undefined);
    const signature = sigFile === undefined ? undefined : readFileSync(sigFile, 'utf8');
    const stageOpts = { format, signature, allowUnsigned: opts.allowUnsigned === true };
    const onResults = (rs: readonly RowResult[]) => {
      if (opts.rows) process.stdout.write(rs.map((r) => `${JSON.stringify(rowJson(r))}\n`).join(''));
    };

    await withTenant(opts, async (gh, tenantId) => {
      let counts: { rows: number; created: number; unchanged: number; conflicts: number; invalid: number };
      let problems: RowResult[];
      let failed: string | null = null;
      let extra: Record<string, unknown>;
      if (opts.dryRun) {
        // Problem rows are kept for the report; a dry run of a file that is all problems is the
        // one case whose memory grows with the file (the real import keeps them in the database).
        problems = [];
        const progress = createProgress({ label: 'checking', unit: 'lines' });
        const s: DryRunSummary = await gh.factory.imports.dryRun(
          tenantId,
          () => createReadStream(file),
          stageOpts,
          (rs) => {
            onResults(rs);
            for (const r of rs) if (r.outcome === 'conflict' || r.outcome === 'invalid') problems.push(r);
            const last = rs[rs.length - 1];
            if (last) progress.set(last.line);
          },
        );
        progress.finish();
        counts = {
          rows: s.counts.rowsDone,
          created: s.counts.created,
          unchanged: s.counts.unchanged,
          conflicts: s.counts.conflicts,
          invalid: s.counts.invalid,
        };
        if (s.syntaxError) failed = `${s.syntaxError.message} (line ${s.syntaxError.line})`;
        extra = { dry_run: true, manifest_sha256: s.manifest.sha256, signed_by: s.signedBy?.name ?? null };
      } else {
        const { job, resumed } = await gh.factory.imports.stage(tenantId, createReadStream(file), stageOpts);
        if (resumed) process.stderr.write(`resuming import ${job.id} from line ${job.doneLine}\n`);
        const done = await runToEnd(gh, tenantId, job, onResults);
        counts = {
          rows: done.rowsDone,
          created: done.created,
          unchanged: done.unchanged,
          conflicts: done.conflicts,
          invalid: done.invalid,
        };
        failed = done.error;
        problems = await allProblems(gh, tenantId, done.id);
        extra = {
          import_id: done.id,
          status: done.status,
          manifest_sha256: done.manifestSha256,
          factory_id: done.factoryId,
        };
      }
      if (opts.report) writeFileSync(opts.report, reportCsv(problems));
      output(
        opts,
        {
          ...extra,
          counts,
          ...(failed ? { error: failed } : {}),
          problems: problems.slice(0, PRINTED_PROBLEMS).map(rowJson),
        },
        () =>
          [
            ...problems.slice(0, PRINTED_PROBLEMS).map(problemLine),
            ...(problems.length > PRINTED_PROBLEMS
              ? [
                  `(${problems.length - PRINTED_PROBLEMS} more problem rows${opts.report ? ` in ${opts.report}` : '; --report FILE writes them all'})`,
                ]
              : []),
            `${opts.dryRun ? 'dry run (nothing changed): ' : ''}${summaryLine(counts)}`,
          ].join('\n'),
      );
      if (failed) throw new CliExit(failed, 1);
      if (counts.conflicts + counts.invalid > 0)
        throw new CliExit(
          `${counts.conflicts + counts.invalid} rows were not imported`,
          DEVICE_IMPORT_ROWS_REFUSED_EXIT,
        );
    });
  });
};
