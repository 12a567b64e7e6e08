/**
 * The console's only way to the server: the public management API, with the logged-in user's
 * bearer token. Every error becomes an ApiError that the UI turns into words (errors.ts).
 */

const TOKEN_KEY = 'gatehouse.token';

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly requestId: string | null,
    readonly body: unknown,
    readonly retryAfterS: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Called when the server says the session is over (401 on an authenticated call). */
let onUnauthorized: () => void = () => {};
export const setUnauthorizedHandler = (fn: () => void): void => {
  onUnauthorized = fn;
};

export type Query = Record<string, string | number | boolean | undefined | null | (string | number)[]>;

export const withQuery = (path: string, query?: Query): string => {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const item of v) qs.append(k, String(item));
    else qs.append(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
};

export interface RequestOptions {
  method?: string;
  query?: Query;
  /** A plain object is sent as JSON; FormData, Blob and strings as they are. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** 'blob' keeps a successful body as bytes (a file to save); errors are parsed as usual. */
  responseType?: 'parsed' | 'blob';
}

const errorMessageOf = (body: unknown, fallback: string): string => {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const k of ['error', 'message', 'detail'])
      if (typeof b[k] === 'string' && b[k]) return b[k] as string;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500);
  return fallback;
};

const parseBody = async (res: Response): Promise<unknown> => {
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (!text) return null;
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
};

export interface ApiResponse<T> {
  data: T;
  headers: Headers;
  status: number;
}

/** One request; resolves with the parsed body and headers, rejects with ApiError. */
export const apiRaw = async <T = unknown>(
  path: string,
  opts: RequestOptions = {},
): Promise<ApiResponse<T>> => {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  const token = tokenStore.get();
  if (token && !headers.Authorization) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    if (opts.body instanceof FormData || opts.body instanceof Blob || typeof opts.body === 'string') {
      body = opts.body as BodyInit;
    } else {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    }
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'The server cannot be reached. Check your connection.', null, null, null);
  }
  if (res.ok && opts.responseType === 'blob')
    return { data: (await res.blob()) as T, headers: res.headers, status: res.status };
  const data = await parseBody(res);
  if (!res.ok) {
    const retry = Number(res.headers.get('retry-after'));
    const err = new ApiError(
      res.status,
      errorMessageOf(data, res.statusText || `HTTP ${res.status}`),
      res.headers.get('x-men-requestid') ??
        (data && typeof data === 'object' ? ((data as { request_id?: string }).request_id ?? null) : null),
      data,
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
    if (res.status === 401 && headers.Authorization && !path.endsWith('/auth/login')) onUnauthorized();
    throw err;
  }
  return { data: data as T, headers: res.headers, status: res.status };
};

export const api = async <T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> =>
  (await apiRaw<T>(path, opts)).data;

/** A page of a list plus the total from X-Total-Count (when the route sends it). */
export interface Page<T> {
  items: T[];
  total: number | null;
  hasNext: boolean;
  /** X-Search-Match of a search: how values matched the text (docs/console-api.md). */
  searchMatch?: 'prefix' | 'substring';
}

export const apiPage = async <T>(path: string, query: Query = {}): Promise<Page<T>> => {
  const r = await apiRaw<T[]>(path, { query });
  const total = r.headers.get('x-total-count');
  const link = r.headers.get('link') ?? '';
  const match = r.headers.get('x-search-match');
  return {
    items: Array.isArray(r.data) ? r.data : [],
    total: total === null ? null : Number(total),
    hasNext: /rel="next"/.test(link),
    ...(match === 'prefix' || match === 'substring' ? { searchMatch: match } : {}),
  };
};
