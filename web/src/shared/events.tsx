import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { tokenStore } from './api';

/** One event as the stream and the audit log send it. */
export interface LiveEvent {
  id: string;
  type: string;
  tenant_id: string;
  device_id: string | null;
  created_at: string;
  data: Record<string, unknown>;
}

export const EVENTS_STREAM_PATH = '/api/management/v1/events/stream';

type Listener = (e: LiveEvent) => void;
type LiveState = 'connecting' | 'live' | 'reconnecting' | 'off';

interface LiveContext {
  state: LiveState;
  subscribe: (fn: Listener) => () => void;
}

const Ctx = createContext<LiveContext>({ state: 'off', subscribe: () => () => {} });

/** Which cached queries an event makes stale (query keys start with the domain name). */
const staleKeysOf = (type: string): string[][] => {
  if (type.startsWith('device.')) return [['devices'], ['device'], ['counts']];
  if (type.startsWith('deployment.')) return [['deployments'], ['deployment']];
  if (type.startsWith('artifact.')) return [['artifacts'], ['releases']];
  if (type.startsWith('bootstrap.')) return [['bootstrap']];
  if (type.startsWith('pki.')) return [['pki']];
  if (type.startsWith('enrollment.') || type.startsWith('allocation'))
    return [['enrollment'], ['allocation']];
  if (type.startsWith('webhook.')) return [['webhooks']];
  // An import that finishes has preauthorized devices.
  if (type.startsWith('import.')) return [['imports'], ['devices'], ['counts']];
  return [];
};

/** Parses `text/event-stream` frames out of a growing buffer; returns the unparsed rest. */
export const parseFrames = (
  buffer: string,
  onFrame: (f: { id?: string; event?: string; data: string }) => void,
) => {
  const frames = buffer.split(/\r?\n\r?\n/);
  const rest = frames.pop() ?? '';
  for (const frame of frames) {
    let id: string | undefined;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of frame.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) onFrame({ id, event, data: data.join('\n') });
  }
  return rest;
};

/**
 * Live updates: one server-sent event stream per console (fetch, so the bearer token goes in a
 * header, never in a URL), reconnecting by itself and resuming after the last event it saw.
 */
export const LiveEventsProvider = ({ token, children }: { token: string | null; children: ReactNode }) => {
  const qc = useQueryClient();
  const [state, setState] = useState<LiveState>('off');
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    if (!token) {
      setState('off');
      return;
    }
    const abort = new AbortController();
    let lastId: string | undefined;
    let delay = 500;
    const run = async () => {
      while (!abort.signal.aborted) {
        setState(lastId ? 'reconnecting' : 'connecting');
        try {
          const headers: Record<string, string> = {
            Accept: 'text/event-stream',
            Authorization: `Bearer ${tokenStore.get() ?? token}`,
          };
          if (lastId) headers['Last-Event-ID'] = lastId;
          const res = await fetch(EVENTS_STREAM_PATH, { headers, signal: abort.signal, cache: 'no-store' });
          if (res.status === 401) {
            setState('off');
            return;
          }
          if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
          setState('live');
          delay = 500;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer = parseFrames(buffer + value, (f) => {
              if (f.id) lastId = f.id;
              let e: LiveEvent;
              try {
                e = JSON.parse(f.data) as LiveEvent;
              } catch {
                return;
              }
              for (const key of staleKeysOf(e.type)) void qc.invalidateQueries({ queryKey: key });
              for (const fn of listeners.current) fn(e);
            });
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          void e;
        }
        setState('reconnecting');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    };
    void run();
    return () => abort.abort();
  }, [token, qc]);

  const value = useRef<LiveContext>({
    state: 'off',
    subscribe: (fn) => {
      listeners.current.add(fn);
      return () => listeners.current.delete(fn);
    },
  });
  return <Ctx.Provider value={{ ...value.current, state }}>{children}</Ctx.Provider>;
};

export const useLiveState = (): LiveState => useContext(Ctx).state;

/** Calls fn for every live event (e.g. to show a toast or log a timing). */
export const useLiveEvents = (fn: Listener): void => {
  const { subscribe } = useContext(Ctx);
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => subscribe((e) => ref.current(e)), [subscribe]);
};
