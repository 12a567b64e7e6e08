import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  SegmentedControl,
  Stack,
  Switch,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { describeError } from '../shared/errors';
import { formatTime } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { type BootstrapConfig, bootstrapKeys, type ConfigList, PAGE_SIZE } from './bootstrap-api';
import { ConfigCreateForm } from './config-create-form';
import { ConfigEditForm } from './config-edit-form';

type Editing = { mode: 'create' } | { mode: 'edit'; config: BootstrapConfig } | null;

/**
 * A config's two switches, updated in the list at once and put back if the server refuses:
 * `state` (Magistrala's: its client connected to its channels) and `hold` (Gatehouse's: a held
 * config delivers nothing).
 */
const ConfigSwitch = ({
  base,
  config,
  listKey,
  kind,
}: {
  base: string;
  config: BootstrapConfig;
  listKey: readonly unknown[];
  kind: 'state' | 'hold';
}) => {
  const qc = useQueryClient();
  const { canWrite } = useAuth();
  const patchOf = (on: boolean): Partial<BootstrapConfig> =>
    kind === 'hold' ? { held: on } : { state: on ? 1 : 0 };
  const change = useMutation({
    mutationFn: (on: boolean) =>
      kind === 'hold'
        ? api(`${base}/clients/configs/${config.client_id}/hold`, { method: 'PUT', body: { held: on } })
        : api(`${base}/clients/state/${config.client_id}`, { method: 'PUT', body: { state: on ? 1 : 0 } }),
    onMutate: async (on) => {
      await qc.cancelQueries({ queryKey: listKey });
      const before = qc.getQueryData<ConfigList>(listKey);
      qc.setQueryData<ConfigList>(listKey, (old) =>
        old
          ? {
              ...old,
              configs: old.configs.map((c) =>
                c.client_id === config.client_id ? { ...c, ...patchOf(on) } : c,
              ),
            }
          : old,
      );
      return { before };
    },
    onError: (_e, _s, ctx) => {
      if (ctx?.before) qc.setQueryData(listKey, ctx.before);
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['bootstrap', 'configs'] }),
  });
  const on = kind === 'hold' ? config.held : config.state === 1;
  const [label, dataState] =
    kind === 'hold'
      ? [on ? 'held' : 'delivers', on ? 'held' : 'delivers']
      : [on ? 'connected' : 'disconnected', on ? 'enabled' : 'disabled'];
  return (
    <Stack gap={2}>
      <Switch
        checked={on}
        disabled={!canWrite || change.isPending}
        onChange={(e) => change.mutate(e.currentTarget.checked)}
        label={label}
        color={kind === 'hold' ? 'orange' : undefined}
        aria-label={
          kind === 'hold' ? `Config ${config.external_id} held` : `Config ${config.external_id} enabled`
        }
        data-testid={`bootstrap-${kind}-${config.client_id}`}
        data-state={dataState}
      />
      {change.error ? (
        <Text size="xs" c="red" role="alert">
          Not changed: {describeError(change.error)}
        </Text>
      ) : null}
    </Stack>
  );
};

/** Bootstrap configs of the tenant: filter, create, edit, connect/disconnect, hold/release, delete. */
export const ConfigsSection = ({ base }: { base: string }) => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const phone = useMediaQuery('(max-width: 48em)');
  const [editing, setEditing] = useState<Editing>(null);
  const [nameFilter, setNameFilter] = useState('');
  const [externalId, setExternalId] = useState('');
  const [state, setState] = useState('all');
  const [page, setPage] = useState(1);
  const [name] = useDebouncedValue(nameFilter.trim(), 300);
  const [ext] = useDebouncedValue(externalId.trim(), 300);
  const filter = { name, ext, state, page };
  const listKey = bootstrapKeys.configs(filter);
  const list = useQuery({
    queryKey: listKey,
    queryFn: () =>
      api<ConfigList>(`${base}/clients/configs`, {
        query: {
          offset: (page - 1) * PAGE_SIZE,
          limit: PAGE_SIZE,
          name: name || undefined,
          external_id: ext || undefined,
          state: state === 'all' ? undefined : state === 'enabled' ? 1 : 0,
        },
      }),
    placeholderData: keepPreviousData,
  });
  const close = () => setEditing(null);
  const filtered = name !== '' || ext !== '' || state !== 'all';

  const columns: Column<BootstrapConfig>[] = [
    {
      key: 'external_id',
      header: 'External id',
      render: (c) => (
        <Text ff="monospace" size="sm" miw={150} style={{ overflowWrap: 'anywhere' }}>
          {c.external_id}
        </Text>
      ),
    },
    {
      key: 'name',
      header: 'Name',
      render: (c) =>
        c.name || (
          <Text c="dimmed" size="sm">
            —
          </Text>
        ),
    },
    {
      key: 'state',
      header: 'State',
      render: (c) => <ConfigSwitch base={base} config={c} listKey={listKey} kind="state" />,
    },
    {
      key: 'held',
      header: 'Delivery',
      render: (c) => <ConfigSwitch base={base} config={c} listKey={listKey} kind="hold" />,
    },
    {
      key: 'channels',
      header: 'Channels',
      render: (c) =>
        c.channels.length === 0 ? (
          <Text c="dimmed" size="sm">
            none
          </Text>
        ) : (
          <Group gap={4}>
            {c.channels.map((ch) => (
              <Tooltip key={ch.id} label={ch.connected ? 'connected' : 'not connected (state 0)'}>
                <Badge
                  variant={ch.connected ? 'light' : 'outline'}
                  color={ch.connected ? 'blue' : 'gray'}
                  tt="none"
                >
                  {ch.name ?? ch.id.slice(0, 8)}
                </Badge>
              </Tooltip>
            ))}
          </Group>
        ),
    },
    {
      key: 'device',
      header: 'Device',
      wide: true,
      render: (c) =>
        c.device_id ? (
          <Anchor component={Link} to={`/devices/${c.device_id}`} ff="monospace" size="sm">
            {c.device_id.slice(0, 8)}…
          </Anchor>
        ) : (
          <Text c="dimmed" size="sm">
            not linked
          </Text>
        ),
    },
    {
      key: 'template',
      header: 'Content',
      wide: true,
      render: (c) => (
        <Text size="xs" c="dimmed">
          {c.content ? `${c.content.length.toLocaleString()} chars` : 'empty'}
          {c.content_template !== 'none' ? ` · ${c.content_template} template` : ''}
          {c.client_cert ? ' · cert' : ''}
          {c.has_client_key ? ' · key' : ''}
        </Text>
      ),
    },
    { key: 'updated', header: 'Changed', wide: true, render: (c) => formatTime(c.updated_at) },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: 'Actions',
            render: (c: BootstrapConfig) => (
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="compact-sm"
                  variant="default"
                  onClick={() => setEditing({ mode: 'edit', config: c })}
                  data-testid={`bootstrap-config-edit-${c.client_id}`}
                >
                  Edit
                </Button>
                <ConfirmButton
                  label="Delete"
                  size="compact-sm"
                  title="Delete this config"
                  confirmLabel="Delete"
                  testId={`bootstrap-config-delete-${c.client_id}`}
                  message={`The device ${c.external_id} can no longer fetch a config with its key.`}
                  onConfirm={async () => {
                    await api(`${base}/clients/configs/${c.client_id}`, { method: 'DELETE' });
                    await qc.invalidateQueries({ queryKey: ['bootstrap', 'configs'] });
                  }}
                />
              </Group>
            ),
          },
        ]
      : []),
  ];

  const total = list.data?.total ?? null;
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" align="flex-end">
        <Group gap="sm" wrap="wrap" align="flex-end">
          <TextInput
            label="Name contains"
            value={nameFilter}
            onChange={(e) => {
              setNameFilter(e.currentTarget.value);
              setPage(1);
            }}
            w={{ base: '100%', xs: 200 }}
            data-testid="bootstrap-filter-name"
          />
          <TextInput
            label="External id (exact)"
            value={externalId}
            onChange={(e) => {
              setExternalId(e.currentTarget.value);
              setPage(1);
            }}
            w={{ base: '100%', xs: 200 }}
            data-testid="bootstrap-filter-external-id"
          />
          <SegmentedControl
            aria-label="State"
            value={state}
            onChange={(v) => {
              setState(v);
              setPage(1);
            }}
            data={[
              { value: 'all', label: 'All' },
              { value: 'enabled', label: 'Enabled' },
              { value: 'disabled', label: 'Disabled' },
            ]}
            data-testid="bootstrap-filter-state"
          />
        </Group>
        {canWrite ? (
          <Button onClick={() => setEditing({ mode: 'create' })} data-testid="bootstrap-config-create">
            Create config
          </Button>
        ) : null}
      </Group>
      <ErrorNote error={list.error} title="Cannot list the bootstrap configs" />
      {list.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={list.data?.configs ?? []}
          columns={columns}
          rowKey={(c) => c.client_id}
          testId="bootstrap-configs-table"
          label="Bootstrap configs"
          empty={
            filtered
              ? 'No config matches these filters.'
              : 'No bootstrap config yet. Create one per device (external id + key), or let an enrollment group create them when devices are admitted.'
          }
          page={page}
          pages={total === null ? undefined : Math.max(1, Math.ceil(total / PAGE_SIZE))}
          onPage={setPage}
        />
      )}
      {total !== null && total > 0 ? (
        <Text size="xs" c="dimmed">
          {total.toLocaleString()} config{total === 1 ? '' : 's'}
          {filtered ? ' match' : ''}
        </Text>
      ) : null}
      <Modal
        opened={editing !== null}
        onClose={close}
        title={
          editing?.mode === 'edit' ? `Edit config ${editing.config.external_id}` : 'Create a bootstrap config'
        }
        size="lg"
        fullScreen={phone}
      >
        {editing?.mode === 'create' ? <ConfigCreateForm base={base} onDone={close} /> : null}
        {editing?.mode === 'edit' ? (
          <ConfigEditForm base={base} config={editing.config} onDone={close} />
        ) : null}
      </Modal>
    </Stack>
  );
};
