/**
 * Mender's own published OpenAPI document, as a contract for Gatehouse's Mender-compatible
 * answers: which operation of the document a request is, which statuses that operation declares,
 * and whether a JSON body fits the declared schema (ADR 22, "Contract tests").
 *
 * The document is not part of this project: it is read at test time from beside the checkout
 * (`MENDER_OPENAPI_PATH`, below). Without it, the contract checks are skipped, and fail in CI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const BESIDE = ['..', 'shared', 'spec', 'mender-openapi', 'openapi.yaml'] as const;

/** The checkout this one was cloned from, when that is a folder on this machine (a CI clone). */
const originCheckout = (): string | undefined => {
  try {
    const url = execFileSync('git', ['-C', PROJECT_ROOT, 'config', '--get', 'remote.origin.url'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dir = url.startsWith('file://') ? fileURLToPath(url) : url;
    return isAbsolute(dir) && existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Where the document is read: `GATEHOUSE_MENDER_OPENAPI` when set, else beside the project
 * checkout, else beside the checkout this one was cloned from (CI runs on a fresh clone in a
 * temporary folder); never inside the project.
 */
export const MENDER_OPENAPI_PATH = ((): string => {
  const given = process.env.GATEHOUSE_MENDER_OPENAPI;
  if (given) return given;
  const beside = join(PROJECT_ROOT, ...BESIDE);
  if (existsSync(beside)) return beside;
  const origin = originCheckout();
  const besideOrigin = origin === undefined ? undefined : join(origin, ...BESIDE);
  return besideOrigin !== undefined && existsSync(besideOrigin) ? besideOrigin : beside;
})();

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

type Json = Record<string, unknown>;

export interface MenderResponse {
  /** Where the response object sits in the document (after following a response $ref). */
  pointer: string;
  /** Media types of the declared body, if any. */
  mediaTypes: string[];
}

export interface MenderOperation {
  method: string;
  path: string;
  /** `METHOD /path`, as in the document. */
  key: string;
  tags: string[];
  /** The Mender add-ons the operation belongs to (`x-mender-addon`), e.g. configure, troubleshoot. */
  addons: string[];
  /** Declared statuses ('200', 'default', ...) → response. */
  responses: Record<string, MenderResponse>;
  /** Segments of the path; `undefined` for a `{parameter}`. */
  segments: (string | undefined)[];
}

export interface MenderDocument {
  raw: Json;
  operations: MenderOperation[];
}

let cached: MenderDocument | null | undefined;

/** The environment variable naming the document already parsed to JSON (test/helpers/global-setup.ts). */
export const MENDER_OPENAPI_JSON_ENV = 'GATEHOUSE_TEST_MENDER_OPENAPI_JSON';

/** Parses the document once for a whole test run; returns the JSON file's path, or undefined without the document. */
export const writeMenderDocumentJson = (dir: string): string | undefined => {
  if (!existsSync(MENDER_OPENAPI_PATH)) return undefined;
  const file = join(dir, 'mender-openapi.json');
  writeFileSync(file, JSON.stringify(parse(readFileSync(MENDER_OPENAPI_PATH, 'utf8'))));
  return file;
};

/** The parsed document, or undefined when it is not there. */
export const loadMenderDocument = (): MenderDocument | undefined => {
  if (cached !== undefined) return cached ?? undefined;
  if (!existsSync(MENDER_OPENAPI_PATH)) {
    cached = null;
    return undefined;
  }
  // The run's global setup parses the YAML once and leaves it as JSON (parsing the YAML took
  // most of a second in every test file that checks Mender answers).
  const json = process.env[MENDER_OPENAPI_JSON_ENV];
  const raw = (
    json && existsSync(json)
      ? JSON.parse(readFileSync(json, 'utf8'))
      : parse(readFileSync(MENDER_OPENAPI_PATH, 'utf8'))
  ) as Json;
  cached = { raw, operations: operationsOf(raw) };
  return cached;
};

const escapePointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

const at = (raw: Json, pointer: string): unknown => {
  let node: unknown = raw;
  for (const part of pointer.replace(/^#\//, '').split('/')) {
    node = (node as Json | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node;
};

const operationsOf = (raw: Json): MenderOperation[] => {
  const out: MenderOperation[] = [];
  for (const [path, item] of Object.entries(raw.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const responses: Record<string, MenderResponse> = {};
      for (const [status, declared] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        let pointer = `#/paths/${escapePointer(path)}/${method}/responses/${status}`;
        let response = declared;
        while (typeof response.$ref === 'string') {
          pointer = response.$ref;
          response = at(raw, pointer) as Json;
        }
        responses[status] = { pointer, mediaTypes: Object.keys((response.content ?? {}) as Json) };
      }
      out.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        tags: (op.tags as string[] | undefined) ?? [],
        addons: (op['x-mender-addon'] as string[] | undefined) ?? [],
        responses,
        segments: path
          .split('/')
          .slice(1)
          .map((s) => (/^\{.+\}$/.test(s) ? undefined : s)),
      });
    }
  }
  return out;
};

/**
 * The operation a concrete request path (no query) is, preferring literal segments over
 * parameters left to right (`/deployments/releases` over `/deployments/{id}`), as routers do.
 */
export const operationForRequest = (
  doc: MenderDocument,
  method: string,
  urlPath: string,
): MenderOperation | undefined => {
  const parts = urlPath.split('/').slice(1);
  let best: MenderOperation | undefined;
  let bestScore = '';
  for (const op of doc.operations) {
    if (op.method !== method || op.segments.length !== parts.length) continue;
    if (!op.segments.every((s, i) => s === undefined || s === parts[i])) continue;
    const score = op.segments.map((s) => (s === undefined ? '0' : '1')).join('');
    if (score > bestScore) {
      best = op;
      bestScore = score;
    }
  }
  return best;
};

/**
 * The operation a route template of Gatehouse (`/api/x/{id}` or `/api/x/:id`) serves: the one a
 * request to the document's path would reach. A parameter of Gatehouse's route matches any
 * segment; a literal one only the same literal.
 */
export const routeServes = (routePath: string, op: MenderOperation): boolean => {
  const route = routePath
    .replace(/\/$/, '')
    .split('/')
    .slice(1)
    .map((s) => (/^\{.+\}$|^:/.test(s) ? undefined : s));
  return (
    route.length === op.segments.length &&
    route.every((s, i) => s === undefined || (op.segments[i] !== undefined && s === op.segments[i]))
  );
};

/** One way an answer does not fit the document. */
export interface Violation {
  /** The document's operation (`METHOD /path`). */
  operation: string;
  status: number;
  kind: 'status' | 'body';
  /** For body violations: the JSON pointer into the body (ajv instancePath), '' for the root. */
  where: string;
  detail: string;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Checks answers against the document: the status is declared, a JSON body fits its schema. */
export const createResponseChecker = (doc: MenderDocument) => {
  // OpenAPI 3.0 schemas: `nullable` (ajv's own keyword), vendor extensions and `example` are
  // annotations; formats of the document that JSON Schema does not define are not checked.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, discriminator: false });
  addFormats(ajv);
  for (const f of [
    'int32',
    'int64',
    'long',
    'float',
    'double',
    'byte',
    'binary',
    'base64',
    'password',
    'mender',
  ])
    ajv.addFormat(f, true);
  ajv.addFormat('url', /^[a-z][a-z0-9+.-]*:\/\/\S+$/i);
  ajv.addSchema(doc.raw, 'mender');
  const compiled = new Map<string, ValidateFunction>();
  const validatorAt = (pointer: string) => {
    let v = compiled.get(pointer);
    if (!v) {
      const fragment = pointer.slice(1).split('/').map(encodeURIComponent).join('/');
      v = ajv.compile({ $ref: `mender#${fragment}` });
      compiled.set(pointer, v);
    }
    return v;
  };
  const errorSchema = '#/components/schemas/Error';

  return (
    op: MenderOperation,
    status: number,
    contentType: string | undefined,
    body: string,
  ): Violation[] => {
    const declared =
      op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
    const out: Violation[] = [];
    const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const isJson = /^application\/(.+\+)?json$/.test(mediaType);
    let schemaPointer: string | undefined;
    if (!declared) {
      out.push({
        operation: op.key,
        status,
        kind: 'status',
        where: '',
        detail: `status ${status} is not declared (declared: ${Object.keys(op.responses).join(', ')})`,
      });
      // An undeclared error status still answers in the document's error shape.
      if (status >= 400) schemaPointer = errorSchema;
    } else if (declared.mediaTypes.length > 0) {
      if (!declared.mediaTypes.includes(mediaType)) {
        out.push({
          operation: op.key,
          status,
          kind: 'body',
          where: '',
          detail: `the body is ${mediaType || 'absent'} (${body.length} bytes), declared: ${declared.mediaTypes.join(', ')}`,
        });
        return out;
      }
      if (isJson) schemaPointer = `${declared.pointer}/content/${escapePointer(mediaType)}/schema`;
      if (schemaPointer && at(doc.raw, schemaPointer) === undefined) schemaPointer = undefined;
    }
    if (!schemaPointer) return out;
    if (!isJson) {
      out.push({
        operation: op.key,
        status,
        kind: 'body',
        where: '',
        detail: `an error body in JSON is expected, got ${mediaType || 'no content type'} (${body.length} bytes)`,
      });
      return out;
    }
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      out.push({ operation: op.key, status, kind: 'body', where: '', detail: 'the body is not valid JSON' });
      return out;
    }
    const validate = validatorAt(schemaPointer);
    if (!validate(value)) {
      for (const e of validate.errors ?? []) {
        out.push({
          operation: op.key,
          status,
          kind: 'body',
          where: e.instancePath,
          detail: `${e.instancePath || '(body)'} ${e.message ?? 'invalid'} (schema ${e.schemaPath})`,
        });
      }
    }
    return out;
  };
};
