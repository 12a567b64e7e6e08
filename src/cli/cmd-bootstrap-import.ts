import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type ImportReport, type ImportRowResult, parseImportFile } from '../bootstrap/index.js';
import { addConfigFlags, CliExit, OPENS, output, tenantOption, withTenant } from './cli-common.js';

/** Exit code when some rows were conflicting or invalid (the others were applied). */
export const IMPORT_ROWS_REFUSED_EXIT = 2;

const rowJson = (r: ImportRowResult) => ({
  line: r.line,
  external_id: r.externalId,
  outcome: r.outcome,
  ...(r.clientId === undefined ? {} : { client_id: r.clientId }),
  ...(r.fields === undefined ? {} : { fields: r.fields }),
  ...(r.reason === undefined ? {} : { reason: r.reason }),
});

const reportJson = (report: ImportReport) => ({
  rows: report.results.length,
  ...report.counts,
  results: report.results.map(rowJson),
});

/** Unchanged rows are only counted: a rerun after a crash prints what it did, not the whole file. */
const rowLine = (r: ImportRowResult): string | undefined => {
  const at = `line ${r.line}: ${r.externalId}`;
  const fields = r.fields?.length ? ` (${r.fields.join(', ')})` : '';
  switch (r.outcome) {
    case 'unchanged':
      return undefined;
    case 'created':
      return `${at} → created ${r.clientId}`;
    case 'updated':
      return `${at} → updated ${r.clientId}${fields}`;
    default:
      return `${at}: ${r.outcome}${fields}: ${r.reason}`;
  }
};

const summary = (d: ReturnType<typeof reportJson>) =>
  `${d.rows} rows: ${d.created} created, ${d.unchanged} unchanged, ${d.updated} updated, ${d.conflicting} conflicting, ${d.invalid} invalid`;

/**
 * `gatehouse bootstrap import`: makes the tenant's configs match a file (docs/bootstrap-import.md).
 * Exit 0 when they do, 2 when rows were conflicting or invalid (the rest applied), 1 otherwise.
 */
export const registerImport = (bs: Command): void => {
  addConfigFlags(
    bs
      .command('import')
      .description(
        'make configs match a .csv (header row of field names) or .jsonl file; idempotent, safe to run again after a crash',
      )
      .option(...tenantOption('tenant (Magistrala domain) id'))
      .requiredOption('--file <file>', 'the file')
      .option('--update', 'change existing configs that differ from their row (never their secrets)')
      .option('--json', 'JSON output'),
    OPENS,
  ).action(async (opts) => {
    // The whole file is read and parsed first: a malformed file changes nothing.
    const rows = parseImportFile(opts.file, readFileSync(opts.file, 'utf8'));
    await withTenant(opts, async (gh, tenantId) => {
      const report = await gh.bootstrap.importer.importRows(tenantId, rows, { update: !!opts.update });
      output(opts, reportJson(report), (d) =>
        [...report.results.map(rowLine).filter((l) => l !== undefined), summary(d)].join('\n'),
      );
      const refused = report.counts.conflicting + report.counts.invalid;
      if (refused > 0) {
        throw new CliExit(
          `${refused} of ${report.results.length} rows were not applied (${report.counts.conflicting} conflicting, ${report.counts.invalid} invalid)`,
          IMPORT_ROWS_REFUSED_EXIT,
        );
      }
    });
  });
};
