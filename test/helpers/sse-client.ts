/**
 * A server-sent events client over real HTTP (fetch and a ReadableStream, as the console reads
 * the stream: the Authorization header works, no token in the URL).
 */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  /** A comment line (`: heartbeat`). */
  comment?: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** Everything received so far, in order. */
  messages: SseMessage[];
  /** The first message (from the start) that matches, waiting up to `timeoutMs` for it. */
  next(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** The body of a refused request. */
  body: string;
  close(): void;
}

const parse = (block: string): SseMessage => {
  const m: SseMessage = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) m.comment = line.slice(1).trim();
    else {
      const at = line.indexOf(':');
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'id' || field === 'event') m[field] = value;
      else if (field === 'data') m.data = m.data === undefined ? value : `${m.data}\n${value}`;
    }
  }
  return m;
};

export const openSse = async (url: string, headers: Record<string, string>): Promise<SseStream> => {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  let done = false;
  let body = '';
  const ended = (async () => {
    if (res.status !== 200 || !res.body) {
      body = await res.text();
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let at = buffer.indexOf('\n\n');
        while (at >= 0) {
          messages.push(parse(buffer.slice(0, at)));
          buffer = buffer.slice(at + 2);
          at = buffer.indexOf('\n\n');
        }
        notify();
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      notify();
    }
  })();
  await new Promise((r) => setImmediate(r));
  return {
    status: res.status,
    headers: res.headers,
    messages,
    get body() {
      return body;
    },
    ended,
    next(match, timeoutMs = 10_000) {
      return new Promise<SseMessage>((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (done) {
            cleanup();
            reject(new Error(`stream ended without the message; got ${JSON.stringify(messages)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no such message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  } as SseStream;
};
