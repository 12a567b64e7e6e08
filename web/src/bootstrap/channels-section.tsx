import { Button, Code, Group, Modal, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { bootstrapKeys, type Channel, type ChannelList, PAGE_SIZE } from './bootstrap-api';
import { ChannelForm } from './channel-form';

type Editing = { mode: 'create' } | { mode: 'edit'; channel: Channel } | null;

/** Channels: named resources (with JSON metadata) that configs list and devices receive. */
export const ChannelsSection = ({ base }: { base: string }) => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const phone = useMediaQuery('(max-width: 48em)');
  const [editing, setEditing] = useState<Editing>(null);
  const [page, setPage] = useState(1);
  const offset = (page - 1) * PAGE_SIZE;
  const list = useQuery({
    queryKey: bootstrapKeys.channels(offset),
    queryFn: () => api<ChannelList>(`${base}/channels`, { query: { offset, limit: PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  const close = () => setEditing(null);
  const columns: Column<Channel>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (c) => (
        <Text fw={500} size="sm">
          {c.name}
        </Text>
      ),
    },
    {
      key: 'id',
      header: 'Id',
      wide: true,
      render: (c) => (
        <Text ff="monospace" size="xs">
          {c.id}
        </Text>
      ),
    },
    {
      key: 'metadata',
      header: 'Metadata',
      render: (c) =>
        Object.keys(c.metadata ?? {}).length ? (
          <Code style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{JSON.stringify(c.metadata)}</Code>
        ) : (
          <Text c="dimmed" size="sm">
            none
          </Text>
        ),
    },
    { key: 'updated', header: 'Changed', wide: true, render: (c) => formatTime(c.updated_at) },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: 'Actions',
            render: (c: Channel) => (
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="compact-sm"
                  variant="default"
                  onClick={() => setEditing({ mode: 'edit', channel: c })}
                  data-testid={`channel-edit-${c.id}`}
                >
                  Edit
                </Button>
                <ConfirmButton
                  label="Delete"
                  size="compact-sm"
                  title="Delete this channel"
                  confirmLabel="Delete"
                  testId={`channel-delete-${c.id}`}
                  message={`“${c.name}” is removed from every config that lists it; devices no longer receive it.`}
                  onConfirm={async () => {
                    await api(`${base}/channels/${c.id}`, { method: 'DELETE' });
                    await qc.invalidateQueries({ queryKey: ['bootstrap'] });
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
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" maw={640}>
          Channels are what a device is told to connect to (topics, queues) with their metadata. Configs list
          channels; an enabled config connects its device to them.
        </Text>
        {canWrite ? (
          <Button onClick={() => setEditing({ mode: 'create' })} data-testid="bootstrap-channel-create">
            Create channel
          </Button>
        ) : null}
      </Group>
      <ErrorNote error={list.error} title="Cannot list the channels" />
      {list.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={list.data?.channels ?? []}
          columns={columns}
          rowKey={(c) => c.id}
          testId="bootstrap-channels-table"
          label="Channels"
          empty="No channel yet. Create the channels your configs will hand to devices."
          page={page}
          pages={total === null ? undefined : Math.max(1, Math.ceil(total / PAGE_SIZE))}
          onPage={setPage}
        />
      )}
      <Modal
        opened={editing !== null}
        onClose={close}
        title={editing?.mode === 'edit' ? `Edit channel ${editing.channel.name}` : 'Create a channel'}
        size="lg"
        fullScreen={phone}
      >
        {editing ? (
          <ChannelForm
            key={editing.mode === 'edit' ? editing.channel.id : 'new'}
            base={base}
            channel={editing.mode === 'edit' ? editing.channel : undefined}
            onDone={close}
          />
        ) : null}
      </Modal>
    </Stack>
  );
};
