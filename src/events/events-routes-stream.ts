import { Type } from 'typebox';
import { AppError } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import type { Db } from '../store/store.js';
import type { DomainEvent } from './events-repo.js';
import { createEventReplay } from './events-service-replay.js';
import { type EventStreamHub, type StreamListener, TOKEN_GONE } from './events-stream-hub.js';
import { eventToWire, matchesTypes, TypeFilters, typeFiltersOf } from './events-wire.js';

export const EVENT_STREAM_PATH = '/api/management/v1/events/stream';

/** Events replayed after Last-Event-ID at most; beyond, the stream says `resync` instead. */
export const MAX_REPLAY = 1000;
/** Unsent bytes a stream may hold for a client that does not read; beyond, it is ended. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const frame = (e: DomainEvent) =>
  `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(eventToWire(e))}\n\n`;
const control = (event: string, data: Record<string, unknown>) =>
  `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export const eventStreamRoutes =
  (deps: { hub: EventStreamHub; db: Db; heartbeatMs: number }) =>
  async (app: App): Promise<void> => {
    const { hub } = deps;
    const events = createEventReplay(deps.db);
    app.get(
      EVENT_STREAM_PATH,
      {
        schema: {
          tags: ['Audit log'],
          summary: "Live events of the caller's tenant (server-sent events)",
          description:
            '`text/event-stream`; each event is `id: <event id>`, `event: <type>`, `data: <the event as in the audit log>`. `type` (repeatable; `<prefix>.*` allowed) filters. `Last-Event-ID` resumes: the events after it are sent first (at most 1000; more, and a `resync` event says to reload instead). A comment every 15 s keeps the connection alive. The stream ends with a `close` event when the token stops being valid (logout, password change, deleted user) or the server shuts down. 429 beyond the open streams allowed per user and per server (GATEHOUSE_EVENTS_MAX_STREAMS*). Events reach the stream within about GATEHOUSE_EVENTS_POLL_MS of their commit, from any Gatehouse process on the database.',
          querystring: Type.Object({ type: Type.Optional(TypeFilters) }),
          headers: Type.Object({
            'last-event-id': Type.Optional(
              Type.String({ maxLength: 64, description: 'resume after this event' }),
            ),
          }),
          response: {
            200: {
              description: 'the event stream',
              content: { 'text/event-stream': { schema: Type.String() } },
            },
            ...errorResponses(400, 401, 429),
          },
        },
      },
      async (req, reply) => {
        const p = userOf(req);
        const types = typeFiltersOf(req.query.type);
        const lastId = req.headers['last-event-id'];
        if (lastId !== undefined && !isUuid(lastId))
          throw new AppError('EVENTS_BAD_LAST_EVENT_ID', 400, 'Last-Event-ID must be an event id');
        const release = hub.reserve(p.userId);
        const raw = reply.raw;
        let live = false;
        let ended = false;
        let endReason = '';
        const queued: DomainEvent[] = [];
        const replayed = new Set<string>();
        let heartbeat: NodeJS.Timeout | undefined;

        const cleanup = () => {
          clearInterval(heartbeat);
          hub.detach(listener);
          release();
        };
        const write = (chunk: string) => {
          if (ended || raw.destroyed) return;
          raw.write(chunk);
          // A client that does not read: end rather than buffer without bound (it may resume).
          if (raw.writableLength > MAX_BUFFERED_BYTES)
            listener.end('client too slow; resume with Last-Event-ID');
        };
        const listener: StreamListener = {
          tenantId: p.tenantId,
          userId: p.userId,
          tokenId: p.tokenId,
          deliver(e) {
            if (!matchesTypes(e.type, types)) return;
            if (!live) queued.push(e);
            else if (!replayed.has(e.id)) write(frame(e));
          },
          end(reason) {
            if (ended) return;
            endReason = reason;
            if (live && !raw.destroyed) raw.write(control('close', { reason }));
            ended = true;
            cleanup();
            if (live) raw.end();
          },
        };

        let replay: DomainEvent[] = [];
        let resync = false;
        try {
          // Attached first, so that nothing committed while the replay is read falls between.
          await hub.attach(listener);
          if (lastId !== undefined) {
            replay = await events.after(p.tenantId, lastId.toLowerCase(), types, MAX_REPLAY + 1);
            resync = replay.length > MAX_REPLAY;
            if (resync) replay = [];
          }
        } catch (e) {
          cleanup();
          throw e;
        }
        // Ended while the replay was read: the token was revoked, or the server is closing.
        if (ended)
          throw endReason === TOKEN_GONE
            ? new AppError('AUTH_INVALID', 401, 'unauthorized')
            : new AppError('EVENTS_STREAM_ENDED', 503, endReason, { headers: { 'Retry-After': '5' } });

        reply.hijack();
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // Proxies (nginx) must pass events on as they come.
          'x-accel-buffering': 'no',
          'x-men-requestid': req.id,
        });
        live = true;
        raw.on('close', () => {
          ended = true;
          cleanup();
        });
        if (raw.destroyed) {
          ended = true;
          cleanup();
          return;
        }
        raw.write(': connected\n\n');
        if (resync)
          write(control('resync', { reason: `more than ${MAX_REPLAY} events since Last-Event-ID` }));
        for (const e of replay) {
          replayed.add(e.id);
          write(frame(e));
        }
        for (const e of queued.splice(0)) if (!replayed.has(e.id)) write(frame(e));
        heartbeat = setInterval(() => write(': heartbeat\n\n'), deps.heartbeatMs);
      },
    );
  };
