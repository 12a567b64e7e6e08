import type { InjectOptions } from 'fastify';
import {
  fieldSites,
  type Operation,
  sampleFor,
  takesArrays,
  takesFreeKeys,
  takesStrings,
  withValueAt,
  wrongValueFor,
} from '../helpers/openapi-inputs.js';
import type { Fixtures } from './bad-input-fixtures.js';

/**
 * The malformed requests of the bad-input suite, generated for one operation of the OpenAPI
 * document. Every one of them must be refused with a 4xx: none is a valid request that merely
 * carries something odd (a GET's ignored body, for instance, is not sent).
 */
export interface Probe {
  op: Operation;
  variant: string;
  req: InjectOptions;
}

export const DEEP = 10_000;
/** The default body limit of a route (DEFAULT_BODY_LIMIT_BYTES); the largest any route has is 8 MiB. */
const DEFAULT_LIMIT = 1024 * 1024;
const OVER_EVERY_LIMIT = 8 * 1024 * 1024 + 1;
const BODYLESS = new Set(['GET', 'HEAD']);

const deepArray = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const zerosCache = new Map<number, string>();
/** `[0,0,...]` of exactly `bytes` bytes (bytes ≥ 2), built once per size. */
const zeros = (bytes: number): string => {
  let z = zerosCache.get(bytes);
  if (z === undefined) {
    z = `[${'0,'.repeat(Math.max(0, Math.floor((bytes - 3) / 2)))}0]`.padEnd(bytes, ' ');
    zerosCache.set(bytes, z);
  }
  return z;
};
const PLACEHOLDER = '"\u2603placeholder\u2603"';

/** JSON of `sample` with the value at `path` replaced by raw JSON text (built without recursion). */
const jsonWithRawAt = (sample: unknown, path: (string | number)[], raw: string): string =>
  JSON.stringify(withValueAt(sample, path, JSON.parse(PLACEHOLDER))).replace(PLACEHOLDER, raw);

const multipart = (boundary: string, parts: string[], close = true) =>
  `${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}${close ? `--${boundary}--\r\n` : ''}`;
const field = (name: string, value: string) =>
  `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
const file = (name: string, content: string) =>
  `Content-Disposition: form-data; name="${name}"; filename="a.mender"\r\nContent-Type: application/octet-stream\r\n\r\n${content}`;

let framing: [string, string, Buffer][] | undefined;
/** framingBodies() as bytes, built once (the large ones take a while to build). */
const framingBytes = () => {
  framing ??= framingBodies().map(([v, ct, body]) => [v, ct, Buffer.from(body)]);
  return framing;
};

/** Bodies with the wrong framing: not JSON, not a form the route takes, broken forms. */
const framingBodies = (): [string, string, string | Buffer][] => {
  const b = 'gatehouse-bad-input';
  return [
    ['empty JSON body', 'application/json', ''],
    ['JSON nested 10,000 deep (arrays)', 'application/json', deepArray(DEEP)],
    ['JSON nested 10,000 deep (objects)', 'application/json', deepObject(DEEP)],
    ['JSON nested 400,000 deep, under the body limit', 'application/json', deepArray(400_000)],
    [
      'invalid UTF-8 in a JSON body',
      'application/json',
      Buffer.concat([
        Buffer.from('{"a'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('":"'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ]),
    ],
    // Valid JSON that a route without a body schema would ignore is no bad input there: the huge
    // valid array goes to the body fields below, this one cannot parse.
    [
      'a huge malformed array just under the default body limit',
      'application/json',
      zeros(DEFAULT_LIMIT - 64).replace(/]\s*$/, ''),
    ],
    ['a body over every body limit', 'application/json', zeros(OVER_EVERY_LIMIT)],
    ['XML', 'application/xml', '<a/>'],
    ['a URL-encoded form', 'application/x-www-form-urlencoded', 'a=b'],
    ['text/plain JSON', 'text/plain', '{}'],
    ['an unparsable content type', '/////', '{}'],
    ['multipart without a boundary', 'multipart/form-data', multipart(b, [field('description', 'x')])],
    [
      'multipart with a bogus boundary',
      'multipart/form-data; boundary=nope',
      multipart(b, [field('description', 'x')]),
    ],
    ['multipart with a 300-character boundary', `multipart/form-data; boundary=${'b'.repeat(300)}`, 'x'],
    [
      'multipart truncated in a field',
      `multipart/form-data; boundary=${b}`,
      `--${b}\r\n${field('description', 'x')}`,
    ],
    [
      'multipart truncated in the file',
      `multipart/form-data; boundary=${b}`,
      `--${b}\r\n${file('artifact', 'not an artifact, and cut off')}`,
    ],
    [
      'multipart without the file',
      `multipart/form-data; boundary=${b}`,
      multipart(b, [field('description', 'x')]),
    ],
    [
      'multipart with too many fields',
      `multipart/form-data; boundary=${b}`,
      multipart(
        b,
        Array.from({ length: 20 }, (_, i) => field(`f${i}`, 'x')),
      ),
    ],
    [
      'multipart with two files',
      `multipart/form-data; boundary=${b}`,
      multipart(b, [file('other', 'x'), file('artifact', 'y')]),
    ],
    [
      'multipart with an oversize field',
      `multipart/form-data; boundary=${b}`,
      multipart(b, [field('description', 'd'.repeat(20_000)), file('artifact', 'x')]),
    ],
    [
      'multipart with NUL in a field',
      `multipart/form-data; boundary=${b}`,
      multipart(b, [field('description', 'a\u0000b'), file('artifact', 'x')]),
    ],
    [
      'multipart with a JSON field',
      `multipart/form-data; boundary=${b}`,
      multipart(b, [
        `${field('description', '{"a":1}').replace('\r\n\r\n', '\r\nContent-Type: application/json\r\n\r\n')}`,
        file('artifact', 'x'),
      ]),
    ],
    [
      'multipart with a non-artifact file',
      `multipart/form-data; boundary=${b}`,
      multipart(b, [file('artifact', 'not a tar')]),
    ],
  ];
};

/** Operations that parse a content type other than JSON themselves. */
const OWN_CONTENT_TYPES: [RegExp, string][] = [
  [/^POST \/\.well-known\/est\/.*simple(re)?enroll$/, 'application/pkcs10'],
];

const withQuery = (path: string, query: Record<string, string | string[]>, raw = '') => {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of [v].flat()) qs.append(k, x);
  const s = [qs.toString(), raw].filter((x) => x !== '').join('&');
  return s === '' ? path : `${path}?${s}`;
};

/** Every malformed request the suite sends to `op`. */
export const probesFor = (op: Operation, fx: Fixtures): Probe[] => {
  const out: Probe[] = [];
  const headers = fx.headersFor(op);
  const base = fx.baseQuery(op);
  const path = fx.pathFor(op);
  const url = withQuery(path, base);
  const add = (variant: string, req: Partial<InjectOptions>) =>
    out.push({
      op,
      variant,
      req: {
        method: op.method as InjectOptions['method'],
        url,
        ...req,
        headers: { ...headers, ...req.headers },
      },
    });

  // Whatever an operation declares, the URL and headers are input.
  add('NUL in an undeclared query parameter', { url: withQuery(path, base, 'zz=a%00') });
  add('invalid UTF-8 in an undeclared query parameter', { url: withQuery(path, base, 'zz=%C3%28') });
  add('NUL in an undeclared header', { headers: { 'x-gatehouse-probe': 'a\u0000b' } });
  const basic = /^Basic (.+)$/.exec(headers.authorization ?? '')?.[1];
  if (basic) {
    const [user, password] = Buffer.from(basic, 'base64').toString('utf8').split(':') as [string, string];
    const encode = (b: Buffer) => `Basic ${b.toString('base64')}`;
    add('NUL in the Basic user', {
      headers: { authorization: encode(Buffer.from(`${user}\u0000:${password}`)) },
    });
    add('NUL in the Basic password', {
      headers: { authorization: encode(Buffer.from(`${user}:\u0000${password}`)) },
    });
    add('invalid UTF-8 in the Basic credentials', {
      headers: { authorization: encode(Buffer.concat([Buffer.from(`${user}:`), Buffer.from([0xff, 0xc3])])) },
    });
  }
  for (const p of op.parameters) {
    if (p.in === 'path') {
      const swap = (raw: string) => withQuery(fx.pathFor(op, { [p.name]: raw }), base);
      add(`NUL in path {${p.name}}`, { url: swap(`${encodeURIComponent(fx.paramValue(op, p.name))}%00`) });
      add(`invalid UTF-8 in path {${p.name}}`, { url: swap('%FF%FE') });
      add(`a malformed escape in path {${p.name}}`, { url: swap('%ZZ') });
      add(`an overlong path {${p.name}}`, { url: swap('a'.repeat(5000)) });
    } else if (p.in === 'query') {
      add(`NUL in query ${p.name}`, { url: withQuery(path, base, `${p.name}=a%00`) });
      add(`invalid UTF-8 in query ${p.name}`, { url: withQuery(path, base, `${p.name}=%FF%FE`) });
      add(`a malformed escape in query ${p.name}`, { url: withQuery(path, base, `${p.name}=%`) });
      if (
        wrongValueFor(p.schema ?? {}) !== undefined &&
        !takesArrays(p.schema ?? {}) &&
        !p.schema?.anyOf?.some(takesArrays)
      )
        add(`query ${p.name} given twice`, { url: withQuery(path, { ...base, [p.name]: ['1', '2'] }) });
      add(`an overlong query ${p.name}`, { url: withQuery(path, { ...base, [p.name]: 'a'.repeat(20_000) }) });
    } else if (p.in === 'header') {
      add(`NUL in header ${p.name}`, { headers: { [p.name]: 'a\u0000b' } });
      add(`an overlong header ${p.name}`, { headers: { [p.name]: 'a'.repeat(20_000) } });
    }
  }
  if (BODYLESS.has(op.method)) return out;

  for (const [variant, contentType, payload] of framingBytes())
    add(variant, { headers: { 'content-type': contentType }, payload });

  // Routes with a content type of their own get garbage in it too.
  const own = OWN_CONTENT_TYPES.find(([re]) => re.test(op.key))?.[1];
  if (own) {
    for (const [variant, payload] of [
      ['not base64', 'this is !!! not base64'],
      ['NUL bytes', Buffer.from([0, 0, 0, 0x41])],
      ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80])],
      ['base64 of garbage', Buffer.from('garbage'.repeat(100)).toString('base64')],
      ['an empty body', ''],
      ['a body over every body limit', zeros(OVER_EVERY_LIMIT)],
    ] as const)
      add(`${own} with ${variant}`, { headers: { 'content-type': own }, payload });
  }

  if (op.body) {
    const sample = sampleFor(op.body);
    const json = (variant: string, payload: string) =>
      add(variant, { headers: { 'content-type': 'application/json' }, payload });
    json('a huge array just under the default body limit', zeros(DEFAULT_LIMIT - 64));
    for (const site of fieldSites(op.body)) {
      const where = site.path.length === 0 ? 'the body' : site.path.join('.');
      const wrong = wrongValueFor(site.schema);
      if (wrong !== undefined)
        json(`wrong type at ${where}`, JSON.stringify(withValueAt(sample, site.path, wrong)));
      if (takesStrings(site.schema))
        json(`NUL at ${where}`, JSON.stringify(withValueAt(sample, site.path, 'a\u0000b')));
      if (takesFreeKeys(site.schema)) {
        json(`NUL in a key at ${where}`, JSON.stringify(withValueAt(sample, site.path, { 'k\u0000': 'v' })));
        const wide = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'v']));
        json(`2,000 keys at ${where}`, JSON.stringify(withValueAt(sample, site.path, wide)));
      }
      if (site.path.length > 0)
        json(`JSON nested 10,000 deep at ${where}`, jsonWithRawAt(sample, site.path, deepArray(DEEP)));
      if (takesArrays(site.schema))
        json(`a huge array at ${where}`, jsonWithRawAt(sample, site.path, zeros(DEFAULT_LIMIT - 4096)));
    }
  }
  return out;
};
