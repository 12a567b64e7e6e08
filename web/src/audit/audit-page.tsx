import { Anchor, Button, Code, Group, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { type Column, DataTable } from '../shared/data-table';
import { useLiveEvents } from '../shared/events';
import { formatTime } from '../shared/format';
import { ErrorNote, Loading, PageTitle } from '../shared/ui';
import { type AuditEvent, type AuditFilter, actorOf, summaryOf, useAuditPage } from './audit-api';

const PER_PAGE = 50;
const QUICK = ['device.*', 'deployment.*', 'artifact.*', 'bootstrap.*', 'pki.*', 'enrollment.*', 'webhook.*'];
const KEYS: (keyof AuditFilter)[] = ['type', 'device', 'since', 'until'];

/** New events make the shown page stale; a burst of them refetches once. */
const useAuditLive = () => {
  const qc = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLiveEvents(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void qc.invalidateQueries({ queryKey: ['audit'] });
    }, 300);
  });
};

export default function AuditPage() {
  useAuditLive();
  const [params, setParams] = useSearchParams();
  const filter: AuditFilter = {
    type: params.get('type') ?? '',
    device: params.get('device') ?? params.get('device_id') ?? '',
    since: params.get('since') ?? '',
    until: params.get('until') ?? '',
  };
  // Debounced as a string: a new object every render would never settle.
  const [debounced] = useDebouncedValue(JSON.stringify(filter), 300);
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const events = useAuditPage(JSON.parse(debounced) as AuditFilter, page, PER_PAGE);

  const set = (patch: Partial<AuditFilter>) => {
    const next = { ...filter, ...patch };
    const q: Record<string, string> = {};
    for (const k of KEYS) if (next[k]) q[k] = next[k];
    setParams(q, { replace: true });
    setPage(1);
  };
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const columns: Column<AuditEvent>[] = [
    {
      key: 'time',
      header: 'Time',
      render: (e) => (
        <Text size="sm" style={{ whiteSpace: 'nowrap' }} title={e.created_at}>
          {formatTime(e.created_at)}
        </Text>
      ),
    },
    {
      key: 'type',
      header: 'Type',
      render: (e) => (
        <Code style={{ whiteSpace: 'nowrap' }} data-testid="audit-event-type">
          {e.type}
        </Code>
      ),
    },
    {
      key: 'device',
      header: 'Device',
      render: (e) =>
        e.device_id ? (
          <Anchor
            component={Link}
            to={`/devices/${encodeURIComponent(e.device_id)}`}
            size="sm"
            ff="monospace"
            title={e.device_id}
          >
            {e.device_id.slice(0, 8)}
          </Anchor>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        ),
    },
    {
      key: 'actor',
      header: 'By',
      render: (e) => (
        <Text size="sm" style={{ whiteSpace: 'nowrap' }} c={actorOf(e) ? undefined : 'dimmed'}>
          {actorOf(e) ?? '—'}
        </Text>
      ),
    },
    {
      key: 'data',
      header: 'Data',
      render: (e) => (
        <Stack gap={4} miw={220} maw={560}>
          <Group gap={6} wrap="nowrap" align="flex-start">
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => toggle(e.id)}
              aria-expanded={open.has(e.id)}
              style={{ flexShrink: 0 }}
              aria-label={`${open.has(e.id) ? 'Hide' : 'Show'} the data of this ${e.type} event`}
              data-testid="audit-event-toggle"
            >
              {open.has(e.id) ? 'Hide' : 'Show'}
            </Button>
            {!open.has(e.id) ? (
              <Text size="xs" c="dimmed" lineClamp={1} style={{ overflowWrap: 'anywhere' }}>
                {summaryOf(e.data)}
              </Text>
            ) : null}
          </Group>
          {open.has(e.id) ? (
            <Code
              block
              data-testid="audit-event-data"
              style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
            >
              {JSON.stringify(e.data, null, 2)}
            </Code>
          ) : null}
        </Stack>
      ),
    },
  ];

  const filtered = KEYS.some((k) => filter[k]);
  const total = events.data?.total ?? null;
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          <TextInput
            label="Event type"
            description='"prefix.*" allowed; commas for several'
            placeholder="e.g. device.*"
            value={filter.type}
            onChange={(e) => set({ type: e.currentTarget.value })}
            data-testid="audit-filter-type"
          />
          <TextInput
            label="Device id"
            description="Events of this device only"
            value={filter.device}
            onChange={(e) => set({ device: e.currentTarget.value })}
            data-testid="audit-filter-device"
          />
          <TextInput
            label="Since"
            description="From (your local time)"
            type="datetime-local"
            step={1}
            value={filter.since}
            onChange={(e) => set({ since: e.currentTarget.value })}
            data-testid="audit-filter-since"
          />
          <TextInput
            label="Until"
            description="Up to (your local time)"
            type="datetime-local"
            step={1}
            value={filter.until}
            onChange={(e) => set({ until: e.currentTarget.value })}
            data-testid="audit-filter-until"
          />
        </SimpleGrid>
        <Group gap={6} aria-label="Quick type filters">
          {QUICK.map((t) => {
            const on = filter.type.trim() === t;
            return (
              <Button
                key={t}
                size="compact-xs"
                radius="xl"
                variant={on ? 'filled' : 'light'}
                aria-pressed={on}
                onClick={() => set({ type: on ? '' : t })}
                data-testid={`audit-quick-${t.replace('.*', '')}`}
              >
                {t}
              </Button>
            );
          })}
          {filtered ? (
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => set({ type: '', device: '', since: '', until: '' })}
            >
              Clear filters
            </Button>
          ) : null}
        </Group>
        <ErrorNote error={events.error} title="Cannot read the audit log" />
        {events.isPending ? (
          <Loading />
        ) : (
          <>
            {total !== null ? (
              <Text size="sm" c="dimmed">
                {total} event{total === 1 ? '' : 's'}
                {filtered ? ' match' : ''}, newest first; new ones appear as they happen
              </Text>
            ) : null}
            <DataTable
              rows={events.data?.items ?? []}
              columns={columns}
              rowKey={(e) => e.id}
              testId="audit-table"
              label="Audit events"
              empty={
                filtered
                  ? 'No event matches these filters. Widen the time range or clear the filters.'
                  : 'No events yet. Device, deployment, bootstrap and certificate activity is recorded here.'
              }
              page={page}
              pages={total === null ? undefined : Math.max(1, Math.ceil(total / PER_PAGE))}
              onPage={setPage}
            />
          </>
        )}
      </Stack>
    </>
  );
}
