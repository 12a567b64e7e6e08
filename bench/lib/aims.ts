import type { HttpCaseResult } from './http-case.js';
import type { BenchOutcome } from './report.js';
import { KEY_LABEL } from './report.js';
import { fmtInt, fmtMs, fmtRatio, renderTable } from './table.js';

/**
 * The performance aims of issue 12, checked against one run's numbers and printed last, so a
 * run says by itself which aims it met (bench/README.md, "Aims"). A value is null when its
 * case was invalid or did not run; such an aim is neither met nor failed.
 */
export interface Aim {
  measure: string;
  value: number | null;
  /** How the value prints: a ratio, milliseconds, or a rate per second. */
  unit: 'ratio' | 'ms' | 'rate';
  /** The aim in words (`≥ 0.5`), or `-` for a number reported without an aim. */
  aim: string;
  met: boolean | null;
}

const valid = (c: HttpCaseResult | null | undefined): HttpCaseResult | null => (c && !c.problem ? c : null);

const atLeast = (measure: string, value: number | null, floor: number): Aim => ({
  measure,
  value,
  unit: 'ratio',
  aim: `≥ ${floor}`,
  met: value === null ? null : value >= floor,
});

const p99Under = (measure: string, c: HttpCaseResult | null, ms: number): Aim => {
  const value = c ? c.latencyMs.p99 : null;
  return { measure, value, unit: 'ms', aim: `< ${ms} ms`, met: value === null ? null : value < ms };
};

/** PostgreSQL's rate ÷ SQLite's for the same case. */
const pgPerSqlite = (pg: HttpCaseResult | null, lite: HttpCaseResult | null): number | null =>
  pg && lite ? pg.rps / lite.rps : null;

/**
 * `flat`: the run's flat ratios (report.ts `ratios`, what latest.json holds) with the bootstrap
 * bench's beside them; the rest is read from the outcome's cases.
 */
export const issue12Aims = (o: BenchOutcome, flat: Record<string, number | null>): Aim[] => {
  const aims: Aim[] = [];
  const lite = o.results.sqlite;
  const pg = o.results.postgres;
  for (const [store, dialect, floors] of [
    ['SQLite', 'sqlite', { ed25519: 0.5, ec: 0.5, rsa3072: 0.35 }],
    ['PostgreSQL', 'postgres', { ed25519: 0.3, ec: 0.3, rsa3072: 0.3 }],
  ] as const) {
    for (const [kind, floor] of Object.entries(floors)) {
      aims.push(
        atLeast(
          `auth requests ÷ raw verify, ${store}, ${KEY_LABEL[kind] ?? kind}`,
          flat[`${dialect}.auth.${kind}_per_verify`] ?? null,
          floor,
        ),
      );
    }
  }
  const rotatedPg = valid(pg?.device.fleet);
  aims.push(
    atLeast(
      'device-token requests (1000 tokens rotated), PostgreSQL ÷ SQLite',
      pgPerSqlite(rotatedPg, valid(lite?.device.fleet)),
      0.5,
    ),
    p99Under('the same, PostgreSQL p99', rotatedPg, 20),
  );
  const polls = o.deployments.polling;
  for (const [label, pick] of [
    ['no deployment', (p: NonNullable<typeof polls.sqlite>) => p.noDeployment],
    ['finished deployment', (p: NonNullable<typeof polls.sqlite>) => p.finishedDeployment],
  ] as const) {
    const pollsPg = valid(polls.postgres && pick(polls.postgres));
    aims.push(
      atLeast(
        `polls (${label}), PostgreSQL ÷ SQLite`,
        pgPerSqlite(pollsPg, valid(polls.sqlite && pick(polls.sqlite))),
        0.5,
      ),
      p99Under('the same, PostgreSQL p99', pollsPg, 20),
    );
  }
  aims.push(
    atLeast('plain bootstrap fetches ÷ bare route, SQLite', flat['sqlite.bootstrapPlainVsBare'] ?? null, 0.3),
  );
  for (const [store, dialect] of [
    ['SQLite', 'sqlite'],
    ['PostgreSQL', 'postgres'],
  ] as const) {
    aims.push({
      measure: `first admissions of preauthorized devices per second, ${store}`,
      value: flat[`${dialect}.auth.first_admissions_per_second`] ?? null,
      unit: 'rate',
      aim: '-',
      met: null,
    });
  }
  return aims;
};

const valueCell = (a: Aim): string =>
  a.value === null
    ? 'not measured'
    : a.unit === 'ms'
      ? fmtMs(a.value)
      : a.unit === 'rate'
        ? fmtInt(a.value)
        : fmtRatio(a.value);

export const renderAims = (aims: readonly Aim[]): string => {
  const rows = aims.map((a) => [
    a.measure,
    valueCell(a),
    a.aim,
    a.met === null ? '' : a.met ? 'met' : 'NOT MET',
  ]);
  const missed = aims.filter((a) => a.met === false).length;
  return [
    '',
    'AIMS (issue 12), this run',
    renderTable(['measure', 'this run', 'aim', ''], rows),
    missed === 0 ? 'every aim measured was met' : `${missed} aim(s) not met`,
  ].join('\n');
};
