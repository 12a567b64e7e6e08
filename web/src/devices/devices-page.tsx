import { Badge, Box, Button, Group, Kbd, Select, Tabs, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, apiPage } from '../shared/api';
import { useAuth } from '../shared/auth';
import { DataTable } from '../shared/data-table';
import { formatIdentity } from '../shared/format';
import { ErrorNote, Loading, PageTitle } from '../shared/ui';
import { BulkBar, type Selection } from './bulk-bar';
import { BulkResultPanel } from './bulk-result';
import { deviceColumns } from './device-columns';
import { DeviceFilters } from './device-filters';
import classes from './devices.module.css';
import {
  type BulkAction,
  type BulkResult,
  COUNT_PATH,
  DEVICES_PATH,
  type Device,
  type DeviceStatus,
  keys,
  STATUS_COLOR,
  STATUSES,
} from './devices-api';
import { useRowDecisions } from './row-decisions';
import { PER_PAGE_CHOICES, useListParams } from './use-list-params';
import { useNewRows } from './use-new-rows';
import { rowsOf, useRowShortcuts } from './use-row-shortcuts';

const TABLE = 'devices-table';

const TAB_LABEL: Record<DeviceStatus, string> = {
  pending: 'Pending',
  accepted: 'Accepted',
  rejected: 'Rejected',
  preauthorized: 'Preauthorized',
  noauth: 'No auth',
};

const EMPTY: Record<DeviceStatus, string> = {
  pending:
    'No device is waiting for a decision. Devices show up here by themselves, as they happen, when they ask to be let in with a key nobody has admitted yet.',
  accepted: 'No accepted devices yet. Accept devices on the Pending tab, or preauthorize one you know.',
  rejected: 'No rejected devices.',
  preauthorized: 'No preauthorized devices. Preauthorize a device to admit it on its first request.',
  noauth: 'No devices without an auth set.',
};

/** The number on a tab, kept fresh by live device events (query key ['counts', status]). */
const TabCount = ({ status }: { status: DeviceStatus }) => {
  const count = useQuery({
    queryKey: keys.count(status),
    queryFn: () => api<{ count: number }>(COUNT_PATH, { query: { status } }),
    select: (r) => r.count,
  });
  return (
    <Badge
      size="sm"
      variant={status === 'pending' && count.data ? 'filled' : 'light'}
      color={STATUS_COLOR[status]}
      data-testid={`tab-count-${status}`}
      title={count.isError ? 'The count could not be loaded' : undefined}
    >
      {count.data ?? (count.isError ? '?' : '…')}
    </Badge>
  );
};

export default function DevicesPage() {
  const { filter, page, perPage, update } = useListParams();
  const { canWrite } = useAuth();
  const navigate = useNavigate();
  const [bulkResult, setBulkResult] = useState<{
    action: BulkAction;
    result: BulkResult;
    names: Record<string, string>;
  } | null>(null);

  // The selection belongs to one filter: changing tab or search starts a new one. A refetch
  // (live events) keeps it, and keeps the rows in place (previous data stays while fetching).
  const filterKey = JSON.stringify(filter);
  const [sel, setSel] = useState<{ key: string; selection: Selection }>({
    key: filterKey,
    selection: { mode: 'ids', ids: new Set() },
  });
  const selection: Selection = sel.key === filterKey ? sel.selection : { mode: 'ids', ids: new Set() };
  const setSelection = (s: Selection) => setSel({ key: filterKey, selection: s });

  const list = useQuery({
    queryKey: keys.list(filter, page, perPage),
    queryFn: () =>
      apiPage<Device>(DEVICES_PATH, {
        status: filter.status,
        q: filter.q,
        group: filter.group,
        tag: filter.tag,
        page,
        per_page: perPage,
      }),
    placeholderData: keepPreviousData,
  });
  const rows = list.data?.items ?? [];
  const total = list.data?.total ?? null;
  const pages =
    total !== null ? Math.max(1, Math.ceil(total / perPage)) : page + (list.data?.hasNext ? 1 : 0);

  const fresh = useNewRows(list.data ? rows.map((r) => r.id) : undefined, filterKey);
  const decisions = useRowDecisions(rows, TABLE);
  // Past the last page (devices left it, e.g. after a bulk action): go to the last one.
  useEffect(() => {
    if (total !== null && !list.isPlaceholderData && page > pages) update({ page: String(pages) });
  }, [total, page, pages, list.isPlaceholderData, update]);
  const nextRowId = (id: string) => {
    const all = rowsOf(TABLE).map((r) => r.dataset.rowId);
    const i = all.indexOf(id);
    return all[i + 1] ?? all[i - 1];
  };
  const pendingTab = filter.status === 'pending';
  const canDecide = pendingTab && canWrite;
  useRowShortcuts({
    enabled: true,
    tableTestId: TABLE,
    onAccept: canDecide ? decisions.accept : undefined,
    onReject: canDecide ? decisions.askReject : undefined,
    onToggle: canWrite
      ? (id) => {
          const ids = new Set(selection.mode === 'ids' ? selection.ids : rows.map((r) => r.id));
          if (ids.has(id)) ids.delete(id);
          else ids.add(id);
          setSelection({ mode: 'ids', ids });
        }
      : undefined,
  });

  const columns = deviceColumns({
    status: filter.status,
    canDecide,
    busyId: decisions.busyId,
    fresh,
    onAccept: (id) => decisions.accept(id, nextRowId(id)),
    onReject: (id) => decisions.askReject(id, nextRowId(id)),
  });

  const selectedIds = selection.mode === 'filter' ? new Set(rows.map((r) => r.id)) : selection.ids;
  const selectedCount = selection.mode === 'filter' ? (total ?? rows.length) : selection.ids.size;
  const filtered = !!(filter.q || filter.group || filter.tag);

  return (
    <>
      <PageTitle
        actions={
          <>
            <Button component={Link} to="/devices/import" variant="light" data-testid="import-open">
              {canWrite ? 'Import a manifest' : 'Imports'}
            </Button>
            {canWrite ? (
              <Button
                component={Link}
                to="/devices/preauthorize"
                variant="light"
                data-testid="preauthorize-open"
              >
                Preauthorize a device
              </Button>
            ) : null}
          </>
        }
      >
        Devices
      </PageTitle>

      <Tabs
        value={filter.status}
        onChange={(v) => v && update({ status: v })}
        mb="sm"
        keepMounted={false}
        activateTabWithKeyboard={false}
      >
        <Tabs.List className={classes.tabs}>
          {STATUSES.map((s) => (
            <Tabs.Tab key={s} value={s} data-testid={`tab-${s}`} rightSection={<TabCount status={s} />}>
              {TAB_LABEL[s]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>

      <DeviceFilters filter={filter} onChange={(field, value) => update({ [field]: value })} />
      {filter.q && list.data?.searchMatch === 'prefix' ? (
        <Text size="xs" c="dimmed" mb="xs" data-testid="search-match-prefix">
          This fleet is large: attribute values match the search text from their start (device ids and
          fingerprints by prefix, as always).
        </Text>
      ) : null}

      {bulkResult ? (
        <BulkResultPanel
          action={bulkResult.action}
          result={bulkResult.result}
          names={bulkResult.names}
          onClose={() => setBulkResult(null)}
        />
      ) : null}

      {selectedCount > 0 ? (
        <BulkBar
          selection={selection}
          shownCount={rows.length}
          total={total}
          filter={filter}
          canWrite={canWrite}
          onSelectAllMatching={() => setSelection({ mode: 'filter' })}
          onClear={() => setSelection({ mode: 'ids', ids: new Set() })}
          onDone={(action, result) => {
            const names = Object.fromEntries(rows.map((d) => [d.id, formatIdentity(d.identity_data)]));
            setBulkResult({ action, result, names });
            setSelection({ mode: 'ids', ids: new Set() });
          }}
        />
      ) : null}

      <ErrorNote error={list.error} title="The devices could not be loaded" />

      {list.isPending ? (
        <Loading label="Loading devices…" />
      ) : (
        <Box className={classes.list} aria-busy={list.isFetching}>
          <DataTable
            rows={rows}
            columns={columns}
            rowKey={(d) => d.id}
            selected={canWrite ? selectedIds : undefined}
            onSelectedChange={canWrite ? (ids) => setSelection({ mode: 'ids', ids }) : undefined}
            onRowClick={(d) => navigate(`/devices/${d.id}`)}
            testId={TABLE}
            label={`${TAB_LABEL[filter.status]} devices`}
            empty={
              filtered
                ? 'No device matches these filters. Clear the search, group or tag to see all.'
                : EMPTY[filter.status]
            }
            page={page}
            pages={pages}
            onPage={(p) => update({ page: String(p) })}
          />
        </Box>
      )}

      <Group justify="space-between" mt="xs" gap="xs" wrap="wrap">
        <Text size="xs" c="dimmed" data-testid="shortcut-hint" visibleFrom="sm">
          <Kbd size="xs">↑</Kbd>/<Kbd size="xs">↓</Kbd> or <Kbd size="xs">j</Kbd>/<Kbd size="xs">k</Kbd> move
          · <Kbd size="xs">Enter</Kbd> opens
          {canDecide ? (
            <>
              {' '}
              · <Kbd size="xs">a</Kbd> accepts · <Kbd size="xs">r</Kbd> rejects
            </>
          ) : null}
        </Text>
        <Group gap="xs" wrap="nowrap">
          <Text size="xs" c="dimmed" data-testid="devices-total">
            {total !== null ? `${total} device${total === 1 ? '' : 's'}` : ''}
          </Text>
          <Select
            aria-label="Devices per page"
            size="xs"
            w={110}
            data={PER_PAGE_CHOICES.map((n) => ({ value: n, label: `${n} per page` }))}
            value={String(perPage)}
            onChange={(v) => v && update({ per_page: v })}
            allowDeselect={false}
            data-testid="devices-per-page"
          />
        </Group>
      </Group>
      {decisions.dialog}
    </>
  );
}
