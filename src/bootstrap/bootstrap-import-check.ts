import { isAppError } from '../core/errors.js';
import { safeEqual } from '../core/hash.js';
import { isUuid } from '../core/ids.js';
import { checkTemplate, orNull } from './bootstrap-config-input.js';
import type { ImportField, ImportRow } from './bootstrap-import.js';
import type { BootstrapSecrets } from './bootstrap-secrets.js';
import {
  type ConfigRecord,
  type ConfigState,
  MAX_CHANNELS_PER_CONFIG,
  MAX_CONTENT_LENGTH,
  MAX_EXTERNAL_ID_LENGTH,
  MAX_EXTERNAL_KEY_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PEM_LENGTH,
  MAX_SECRET_LENGTH,
  type TemplateMode,
} from './bootstrap-types.js';

/**
 * The pure half of `bootstrap import` (docs/bootstrap-import.md): a parsed row checked against the
 * limits of the HTTP create body and normalised into the config it asks for, and the comparison
 * of that config with one that exists. Secrets are compared through their keyed hashes (the
 * client key, which has none, by opening its sealed value), never printed.
 */
export interface DesiredConfig {
  line: number;
  externalId: string;
  externalKey: string;
  /** Normalised (lower case); undefined = generate one. */
  clientId: string | undefined;
  /** undefined = generate one. */
  clientSecret: string | undefined;
  name: string | null;
  content: string | null;
  contentTemplate: TemplateMode;
  /** Deduplicated, in file order. */
  channels: string[];
  clientCert: string | null;
  clientKey: string | null;
  caCert: string | null;
  deviceId: string | null;
  state: ConfigState;
  /** undefined = the tenant's default when created; not compared. */
  held: boolean | undefined;
  /** What an existing config is compared on (ImportRow.specified, client id/secret only when given). */
  specified: ReadonlySet<ImportField>;
}

export type ImportOutcome = 'created' | 'unchanged' | 'updated' | 'conflicting' | 'invalid';

export interface ImportRowResult {
  line: number;
  externalId: string;
  outcome: ImportOutcome;
  /** The config's id (= client id), when there is one. */
  clientId?: string;
  /** updated / conflicting: the fields that differ(ed), by name (values are never reported). */
  fields?: ImportField[];
  /** conflicting / invalid: why. */
  reason?: string;
}

export interface ImportReport {
  results: ImportRowResult[];
  counts: Record<ImportOutcome, number>;
}

/** Fields an import never changes on an existing config, even with --update. */
export const IMMUTABLE_FIELDS: readonly ImportField[] = ['external_key', 'client_id', 'client_secret'];

const ID_MAX = 64;

const tooLong = (field: string, max: number) => `${field} longer than ${max} characters`;

/** The row as the config it asks for, or why it is invalid. */
export const desiredConfig = (row: ImportRow): DesiredConfig | { invalid: string } => {
  const i = row.input;
  const strings: [string, string | undefined, number][] = [
    ['external_id', i.externalId, MAX_EXTERNAL_ID_LENGTH],
    ['external_key', i.externalKey, MAX_EXTERNAL_KEY_LENGTH],
    ['client_id', i.clientId, ID_MAX],
    ['client_secret', i.clientSecret, MAX_SECRET_LENGTH],
    ['name', i.name, MAX_NAME_LENGTH],
    ['content', i.content, MAX_CONTENT_LENGTH],
    ['client_cert', i.clientCert, MAX_PEM_LENGTH],
    ['client_key', i.clientKey, MAX_PEM_LENGTH],
    ['ca_cert', i.caCert, MAX_PEM_LENGTH],
    ['device_id', i.deviceId, ID_MAX],
  ];
  for (const [field, value, max] of strings) {
    if (value === undefined) continue;
    // PostgreSQL text cannot hold U+0000; refused on both dialects, as on the HTTP routes.
    if (value.includes('\u0000')) return { invalid: `${field} contains NUL (U+0000)` };
    if (value.length > max) return { invalid: tooLong(field, max) };
  }
  const channels = [...new Set(i.channels ?? [])];
  if (channels.length > MAX_CHANNELS_PER_CONFIG)
    return { invalid: `more than ${MAX_CHANNELS_PER_CONFIG} channels` };
  for (const ch of channels) {
    if (ch.includes('\u0000')) return { invalid: 'channel id contains NUL (U+0000)' };
    if (ch.length > ID_MAX) return { invalid: tooLong('channel id', ID_MAX) };
  }
  const clientId = orNull(i.clientId) ?? undefined;
  if (clientId !== undefined && !isUuid(clientId)) return { invalid: 'client_id must be a UUID' };
  const contentTemplate = i.contentTemplate ?? 'none';
  const content = orNull(i.content);
  try {
    checkTemplate(contentTemplate, content);
  } catch (e) {
    if (isAppError(e)) return { invalid: e.publicMessage };
    throw e;
  }
  const clientSecret = orNull(i.clientSecret) ?? undefined;
  const specified = new Set(row.specified);
  specified.add('external_key');
  if (clientId === undefined) specified.delete('client_id');
  if (clientSecret === undefined) specified.delete('client_secret');
  return {
    line: row.line,
    externalId: i.externalId,
    externalKey: i.externalKey,
    clientId: clientId?.toLowerCase(),
    clientSecret,
    name: orNull(i.name),
    content,
    contentTemplate,
    channels,
    clientCert: orNull(i.clientCert),
    clientKey: orNull(i.clientKey),
    caCert: orNull(i.caCert),
    deviceId: orNull(i.deviceId),
    state: row.state,
    held: i.held,
    specified,
  };
};

/**
 * Rows that name the same external id, name, client id or device as an earlier row of the file:
 * the file does not say which one it means, so the later ones are invalid (by line).
 */
export const duplicatesInFile = (rows: readonly DesiredConfig[]): Map<number, string> => {
  const out = new Map<number, string>();
  const seen = new Map<string, number>();
  for (const r of rows) {
    const keys: [string, string | null | undefined][] = [
      ['external_id', r.externalId],
      ['name', r.name],
      ['client_id', r.clientId],
      ['device_id', r.deviceId],
    ];
    for (const [field, value] of keys) {
      if (value === null || value === undefined) continue;
      const first = seen.get(`${field}\u0000${value}`);
      if (first !== undefined) {
        out.set(r.line, `same ${field} as line ${first}`);
        break;
      }
    }
    if (out.has(r.line)) continue;
    for (const [field, value] of keys) {
      if (value !== null && value !== undefined) seen.set(`${field}\u0000${value}`, r.line);
    }
  }
  return out;
};

/** An existing config as the import compares it. */
export interface ExistingConfig {
  record: ConfigRecord;
  channelIds: string[];
}

/** The fields the row specifies whose value differs from the existing config, in a fixed order. */
export const differingFields = (
  d: DesiredConfig,
  e: ExistingConfig,
  secrets: BootstrapSecrets,
): ImportField[] => {
  const c = e.record.config;
  const s = e.record.secrets;
  const differs: Record<ImportField, () => boolean> = {
    external_id: () => false,
    external_key: () => !secrets.matchesExternalKey(s.externalKeyHash, d.externalId, d.externalKey),
    client_id: () => d.clientId !== c.id,
    client_secret: () =>
      d.clientSecret === undefined ||
      !safeEqual(secrets.clientSecretHash(d.clientSecret), s.clientSecretHash),
    name: () => d.name !== c.name,
    content: () => d.content !== c.content,
    content_template: () => d.contentTemplate !== c.contentTemplate,
    channels: () => {
      const have = new Set(e.channelIds);
      return have.size !== d.channels.length || d.channels.some((ch) => !have.has(ch));
    },
    client_cert: () => d.clientCert !== c.clientCert,
    client_key: () => {
      if (s.clientKeySealed === null || d.clientKey === null) return s.clientKeySealed !== d.clientKey;
      return !safeEqual(
        secrets.open({ tenantId: c.tenantId, id: c.id }, 'client_key', s.clientKeySealed),
        d.clientKey,
      );
    },
    ca_cert: () => d.caCert !== c.caCert,
    device_id: () => d.deviceId !== c.deviceId,
    state: () => d.state !== c.state,
    held: () => d.held !== undefined && d.held !== c.held,
  };
  return (Object.keys(differs) as ImportField[]).filter((f) => d.specified.has(f) && differs[f]());
};
