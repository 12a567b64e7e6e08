import { type Static, Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import type { DeviceImport, Factory, ImportProblem } from './factory-types.js';
import type { RowResult } from './import-engine.js';
import type { DryRunSummary } from './import-service.js';

export const FactoryCreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, description: 'a name for the station or line' }),
    public_key: Type.String({
      maxLength: 16_384,
      description: 'the factory key: SPKI PEM (Ed25519, ECDSA P-256/P-384, or RSA 2048 to 8192 bits)',
    }),
  },
  { additionalProperties: false },
);

export const FactoryWire = Type.Object({
  id: Type.String(),
  name: Type.String(),
  key_type: Type.String(),
  fingerprint: Type.String({ description: 'SHA-256 of the public key’s SPKI DER, hex' }),
  public_key: Type.String(),
  enabled: Type.Boolean(),
  created_ts: Type.String(),
  disabled_ts: Type.Optional(Type.String()),
});

export const factoryToWire = (f: Factory): Static<typeof FactoryWire> => ({
  id: f.id,
  name: f.name,
  key_type: f.keyType,
  fingerprint: f.fingerprint,
  public_key: f.publicKeyPem,
  enabled: f.disabledAt === null,
  created_ts: toRfc3339(f.createdAt),
  ...(f.disabledAt === null ? {} : { disabled_ts: toRfc3339(f.disabledAt) }),
});

const Counts = Type.Object({
  rows: Type.Integer({ description: 'manifest rows decided so far' }),
  created: Type.Integer(),
  unchanged: Type.Integer(),
  conflicts: Type.Integer(),
  invalid: Type.Integer(),
});

export const ImportWire = Type.Object({
  id: Type.String(),
  status: Type.String({ description: 'queued, running, succeeded or failed' }),
  format: Type.String(),
  manifest_sha256: Type.String(),
  manifest_bytes: Type.Integer(),
  lines_total: Type.Integer({ description: 'lines in the manifest (the progress total)' }),
  done_line: Type.Integer({ description: 'every line up to this one is committed' }),
  signed: Type.Boolean(),
  factory_id: Type.Optional(Type.String()),
  counts: Counts,
  error: Type.Optional(Type.String()),
  created_ts: Type.String(),
  updated_ts: Type.String(),
  finished_ts: Type.Optional(Type.String()),
});

export const importToWire = (i: DeviceImport): Static<typeof ImportWire> => ({
  id: i.id,
  status: i.status,
  format: i.format,
  manifest_sha256: i.manifestSha256,
  manifest_bytes: i.manifestBytes,
  lines_total: i.linesTotal,
  done_line: i.doneLine,
  signed: i.factoryId !== null,
  ...(i.factoryId ? { factory_id: i.factoryId } : {}),
  counts: {
    rows: i.rowsDone,
    created: i.created,
    unchanged: i.unchanged,
    conflicts: i.conflicts,
    invalid: i.invalid,
  },
  ...(i.error ? { error: i.error } : {}),
  created_ts: toRfc3339(i.createdAt),
  updated_ts: toRfc3339(i.updatedAt),
  ...(i.finishedAt === null ? {} : { finished_ts: toRfc3339(i.finishedAt) }),
});

export const RowResultWire = Type.Object({
  line: Type.Integer(),
  outcome: Type.String({ description: 'created, unchanged, conflict or invalid' }),
  device_id: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
});

export const rowToWire = (r: RowResult | ImportProblem): Static<typeof RowResultWire> => ({
  line: r.line,
  outcome: r.outcome,
  ...(r.deviceId ? { device_id: r.deviceId } : {}),
  ...(r.reason ? { reason: r.reason } : {}),
});

/** Problem rows a dry run answers with at most (the CLI's dry run lists them all). */
export const MAX_DRY_RUN_PROBLEMS = 1000;

export const DryRunWire = Type.Object({
  dry_run: Type.Literal(true),
  manifest_sha256: Type.String(),
  lines_total: Type.Integer(),
  signed: Type.Boolean(),
  factory_id: Type.Optional(Type.String()),
  counts: Counts,
  problems: Type.Array(RowResultWire),
  problems_truncated: Type.Boolean(),
  error: Type.Optional(Type.String()),
});

export const dryRunToWire = (
  s: DryRunSummary,
  problems: RowResult[],
  truncated: boolean,
): Static<typeof DryRunWire> => ({
  dry_run: true,
  manifest_sha256: s.manifest.sha256,
  lines_total: s.manifest.lines,
  signed: s.signedBy !== null,
  ...(s.signedBy ? { factory_id: s.signedBy.id } : {}),
  counts: {
    rows: s.counts.rowsDone,
    created: s.counts.created,
    unchanged: s.counts.unchanged,
    conflicts: s.counts.conflicts,
    invalid: s.counts.invalid,
  },
  problems: problems.map(rowToWire),
  problems_truncated: truncated,
  ...(s.syntaxError ? { error: `${s.syntaxError.message} (line ${s.syntaxError.line})` } : {}),
});

export const ImportQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('jsonl'), Type.Literal('csv')])),
  allow_unsigned: Type.Optional(
    Type.Union([Type.Literal('true'), Type.Literal('false')], {
      description: 'import a manifest without a signature',
    }),
  ),
  dry_run: Type.Optional(
    Type.Union([Type.Literal('true'), Type.Literal('false')], {
      description: 'decide every row, change nothing',
    }),
  ),
});

// Query values are strings on the wire (the app does not coerce types): numbers are parsed in the route.
export const ProblemsQuery = Type.Object({
  after_line: Type.Optional(
    Type.String({ maxLength: 10, pattern: '^[0-9]+$', description: 'rows after this line (keyset paging)' }),
  ),
  per_page: Type.Optional(
    Type.String({ maxLength: 4, pattern: '^[0-9]+$', description: 'rows per page, 1..1000 (default 100)' }),
  ),
  outcome: Type.Optional(Type.Union([Type.Literal('conflict'), Type.Literal('invalid')])),
});

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
