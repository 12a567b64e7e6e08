import { Badge, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { apiRaw } from '../shared/api';
import { DataTable } from '../shared/data-table';
import { formatTime } from '../shared/format';
import { Section } from '../shared/section';
import { ErrorNote, Loading } from '../shared/ui';
import { type InventoryAttribute, type InventoryDevice, inventoryPath, keys } from './devices-api';

/** The device's inventory and the ETag of its tags (for If-Match when they are changed). */
export const useInventory = (id: string) =>
  useQuery({
    queryKey: keys.inventory(id),
    queryFn: async () => {
      const r = await apiRaw<InventoryDevice>(inventoryPath(id));
      return { device: r.data, etag: r.headers.get('etag') };
    },
  });

const SCOPE_COLOR: Record<string, string> = {
  identity: 'blue',
  inventory: 'gray',
  system: 'violet',
  tags: 'teal',
};

const showValue = (v: unknown): string => {
  if (Array.isArray(v)) return v.join(', ');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

const showAttr = (a: InventoryAttribute): string =>
  a.scope === 'system' && /_ts$|_time$/.test(a.name) && typeof a.value === 'string'
    ? formatTime(a.value)
    : showValue(a.value);

/** What the device reported about itself (and what the server knows), by scope. */
export const DeviceInventory = ({ id }: { id: string }) => {
  const inv = useInventory(id);
  const rows = (inv.data?.device.attributes ?? []).filter((a) => a.scope !== 'tags');
  return (
    <Section title="Inventory" testId="device-inventory">
      <ErrorNote error={inv.error} title="The inventory could not be loaded" />
      {inv.isPending ? (
        <Loading />
      ) : inv.data ? (
        <DataTable
          rows={rows}
          rowKey={(a) => `${a.scope}/${a.name}`}
          testId="inventory-table"
          label="Inventory attributes"
          empty="The device has not reported any inventory yet: it does once it is accepted and running."
          columns={[
            {
              key: 'name',
              header: 'Attribute',
              render: (a) => (
                <Text size="sm" fw={500} title={a.description ?? undefined}>
                  {a.name}
                </Text>
              ),
            },
            {
              key: 'value',
              header: 'Value',
              render: (a) => (
                <Text
                  size="sm"
                  ff={a.scope === 'system' ? undefined : 'monospace'}
                  style={{ wordBreak: 'break-word' }}
                >
                  {showAttr(a)}
                </Text>
              ),
            },
            {
              key: 'scope',
              header: 'Scope',
              render: (a) => (
                <Badge
                  size="xs"
                  variant="light"
                  color={SCOPE_COLOR[a.scope] ?? 'gray'}
                  style={{ minWidth: 'max-content' }}
                >
                  {a.scope}
                </Badge>
              ),
            },
          ]}
        />
      ) : null}
    </Section>
  );
};
