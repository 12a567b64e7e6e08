import type { CreateConfigInput } from './bootstrap-service-configs.js';
import type { ConfigState, TemplateMode } from './bootstrap-types.js';
import { templateModes } from './bootstrap-types.js';

/**
 * Bulk config files for `gatehouse bootstrap import`: CSV (RFC 4180, header row of field names)
 * or JSON Lines (one create body per line). Field names are those of the HTTP create body
 * (`held`: 0/1 or false/true, empty = the tenant's default), plus `state` (0 or 1). In CSV, `channels` holds channel ids separated by spaces or semicolons.
 */
export interface ImportRow {
  line: number;
  input: CreateConfigInput;
  state: ConfigState;
  /**
   * The fields the row names (a CSV column, a JSON key), empty ones included: an import compares
   * an existing config only on these (bootstrap-import-check.ts). Empty means "none" (Magistrala's
   * zero values), except for client_id and client_secret, where it means "generate".
   */
  specified: ReadonlySet<ImportField>;
}

const FIELDS = {
  external_id: 'externalId',
  external_key: 'externalKey',
  client_id: 'clientId',
  client_secret: 'clientSecret',
  name: 'name',
  content: 'content',
  content_template: 'contentTemplate',
  client_cert: 'clientCert',
  client_key: 'clientKey',
  ca_cert: 'caCert',
  device_id: 'deviceId',
} as const satisfies Record<string, keyof CreateConfigInput>;
export type ImportField = keyof typeof FIELDS | 'channels' | 'state' | 'held';
const KNOWN = new Set<string>([...Object.keys(FIELDS), 'channels', 'state', 'held']);

export class ImportError extends Error {}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
export const parseCsv = (text: string): { line: number; cells: string[] }[] => {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
    rowLine = line;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRow();
    } else cell += c;
  }
  if (quoted) throw new ImportError(`line ${rowLine}: unterminated quoted field`);
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
};

const toRow = (line: number, record: Record<string, unknown>): ImportRow => {
  // U+0000 in a value makes the row invalid, not the file (bootstrap-import-check.ts).
  const bad = (m: string) => new ImportError(`line ${line}: ${m}`);
  const input: Record<string, unknown> = {};
  const specified = new Set<ImportField>();
  let state: ConfigState = 0;
  for (const [k, v] of Object.entries(record)) {
    if (!KNOWN.has(k)) throw bad(`unknown field "${k}"`);
    if (v === undefined) continue;
    // An empty `held` is the tenant's default for a new config: neither compared nor changed.
    if (k === 'held' && (v === null || v === '')) continue;
    specified.add(k as ImportField);
    if (v === null || v === '') continue;
    if (k === 'state') {
      if (v !== 0 && v !== 1 && v !== '0' && v !== '1') throw bad('state must be 0 or 1');
      state = String(v) === '1' ? 1 : 0;
    } else if (k === 'held') {
      const text = typeof v === 'object' ? '' : String(v).toLowerCase();
      if (!['0', '1', 'false', 'true'].includes(text)) throw bad('held must be 0, 1, false or true');
      input.held = text === '1' || text === 'true';
    } else if (k === 'channels') {
      const list = typeof v === 'string' ? v.split(/[\s;]+/).filter(Boolean) : v;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string'))
        throw bad('channels must be a list of ids');
      input.channels = list;
    } else {
      if (typeof v !== 'string') throw bad(`${k} must be a string`);
      if (k === 'content_template' && !(templateModes as readonly string[]).includes(v))
        throw bad(`content_template must be one of ${templateModes.join(', ')}`);
      input[FIELDS[k as keyof typeof FIELDS]] = v as TemplateMode;
    }
  }
  if (typeof input.externalId !== 'string' || typeof input.externalKey !== 'string')
    throw bad('external_id and external_key are required');
  return { line, input: input as unknown as CreateConfigInput, state, specified };
};

export const parseImportFile = (fileName: string, text: string): ImportRow[] => {
  if (/\.jsonl?$/i.test(fileName) || /\.ndjson$/i.test(fileName)) {
    const out: ImportRow[] = [];
    text.split(/\r?\n/).forEach((l, i) => {
      if (l.trim() === '') return;
      let v: unknown;
      try {
        v = JSON.parse(l);
      } catch {
        throw new ImportError(`line ${i + 1}: not JSON`);
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new ImportError(`line ${i + 1}: not an object`);
      out.push(toRow(i + 1, v as Record<string, unknown>));
    });
    return out;
  }
  if (!/\.csv$/i.test(fileName)) throw new ImportError('expected a .csv or .jsonl file');
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const names = header.cells.map((h) => h.trim());
  return rows.map(({ line, cells }) => {
    if (cells.length !== names.length)
      throw new ImportError(`line ${line}: ${cells.length} fields, the header has ${names.length}`);
    return toRow(line, Object.fromEntries(names.map((n, i) => [n, cells[i]])));
  });
};
