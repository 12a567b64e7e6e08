import { Badge, CloseButton, Group, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { apiPage } from '../shared/api';
import { type Column, DataTable } from '../shared/data-table';
import { formatIdentity } from '../shared/format';
import { ErrorNote, Loading } from '../shared/ui';

export const DEVICES_PATH = '/api/management/v2/devauth/devices';
const PER_PAGE = 20;

interface AcceptedDevice {
  id: string;
  identity_data: Record<string, unknown>;
  status: string;
}

/** Accepted devices to pick from, searched by id prefix or identity/inventory value. */
export const DevicePicker = ({
  selected,
  onChange,
}: {
  selected: Set<string>;
  onChange: (next: Set<string>) => void;
}) => {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 250);
  const [page, setPage] = useState(1);
  const devices = useQuery({
    queryKey: ['devices', 'deployment-picker', q, page],
    queryFn: () => apiPage<AcceptedDevice>(DEVICES_PATH, { status: 'accepted', q, page, per_page: PER_PAGE }),
    placeholderData: (prev) => prev,
  });
  const columns: Column<AcceptedDevice>[] = [
    {
      key: 'id',
      header: 'Device id',
      render: (d) => (
        <Text size="sm" ff="monospace">
          {d.id}
        </Text>
      ),
    },
    {
      key: 'identity',
      header: 'Identity',
      render: (d) => <Text size="sm">{formatIdentity(d.identity_data)}</Text>,
    },
  ];
  const total = devices.data?.total ?? null;
  const pages =
    total !== null ? Math.max(1, Math.ceil(total / PER_PAGE)) : devices.data?.hasNext ? page + 1 : page;
  return (
    <Stack gap="xs">
      <TextInput
        label="Find accepted devices"
        description="Device id prefix, fingerprint prefix, or part of an identity or inventory value"
        value={search}
        onChange={(e) => {
          setSearch(e.currentTarget.value);
          setPage(1);
        }}
        data-testid="deployment-device-search"
      />
      {selected.size > 0 ? (
        <Group gap={4} data-testid="deployment-selected-devices">
          <Text size="sm">{selected.size} selected:</Text>
          {[...selected].slice(0, 20).map((id) => (
            <Badge
              key={id}
              variant="light"
              tt="none"
              pr={3}
              rightSection={
                <CloseButton
                  size="xs"
                  aria-label={`Remove ${id}`}
                  onClick={() => {
                    const next = new Set(selected);
                    next.delete(id);
                    onChange(next);
                  }}
                />
              }
            >
              {id.slice(0, 8)}
            </Badge>
          ))}
          {selected.size > 20 ? <Text size="sm">and {selected.size - 20} more</Text> : null}
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          No device selected yet: tick the devices to update.
        </Text>
      )}
      <ErrorNote error={devices.error} title="Cannot list devices" />
      {devices.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={devices.data?.items ?? []}
          columns={columns}
          rowKey={(d) => d.id}
          selected={selected}
          onSelectedChange={onChange}
          testId="deployment-device-picker"
          label="Accepted devices"
          empty={
            q
              ? 'No accepted device matches this search.'
              : 'No accepted devices. Accept devices under Devices first: only accepted devices get updates.'
          }
          page={page}
          pages={pages}
          onPage={setPage}
        />
      )}
    </Stack>
  );
};
