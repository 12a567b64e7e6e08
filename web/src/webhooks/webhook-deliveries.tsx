import {
  Anchor,
  Badge,
  Button,
  Card,
  CloseButton,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime } from '../shared/format';
import { ErrorNote, Loading } from '../shared/ui';
import { answerText, type Delivery, useDeliveries, type Webhook, webhookPath } from './webhook-api';

const PER_PAGE = 25;
const STATUS_COLOR: Record<Delivery['status'], string> = {
  pending: 'yellow',
  delivered: 'green',
  failed: 'red',
};

const Attempts = ({ d }: { d: Delivery }) => (
  <Table.ScrollContainer minWidth={420}>
    <Table verticalSpacing={2} fz="xs" aria-label={`Attempts of delivery ${d.id}`}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>#</Table.Th>
          <Table.Th>Time</Table.Th>
          <Table.Th>Answer</Table.Th>
          <Table.Th>Duration</Table.Th>
          <Table.Th>Error</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {d.log.map((a) => (
          <Table.Tr key={a.attempt}>
            <Table.Td>{a.attempt}</Table.Td>
            <Table.Td>{formatTime(a.attempted_at)}</Table.Td>
            <Table.Td>{a.status_code ?? '—'}</Table.Td>
            <Table.Td>{a.duration_ms} ms</Table.Td>
            <Table.Td>{a.error && a.error !== `HTTP ${a.status_code}` ? a.error : '—'}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  </Table.ScrollContainer>
);

/** The delivery log of one webhook, with every attempt, and a retry of its failed deliveries. */
export const WebhookDeliveries = ({ webhook, onClose }: { webhook: Webhook; onClose: () => void }) => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const [status, setStatus] = useState('all');
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const deliveries = useDeliveries(webhook.id, status, page, PER_PAGE);
  const redeliver = useMutation({
    mutationFn: () => api<{ requeued: number }>(`${webhookPath(webhook.id)}/redeliver`, { method: 'POST' }),
    onSuccess: (r) => {
      notifications.show({
        color: r.requeued ? 'green' : 'gray',
        message: r.requeued
          ? `${r.requeued} failed deliver${r.requeued === 1 ? 'y is' : 'ies are'} queued again`
          : 'No failed deliveries to retry',
      });
      void qc.invalidateQueries({ queryKey: ['webhooks', webhook.id, 'deliveries'] });
    },
  });

  const columns: Column<Delivery>[] = [
    {
      key: 'time',
      header: 'Event time',
      render: (d) => <span style={{ whiteSpace: 'nowrap' }}>{formatTime(d.created_at)}</span>,
    },
    {
      key: 'type',
      header: 'Event type',
      render: (d) => (
        <Text size="sm" ff="monospace">
          {d.event_type}
        </Text>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      render: (d) => (
        <Badge
          color={STATUS_COLOR[d.status]}
          variant="light"
          style={{ minWidth: 'max-content' }}
          data-testid="delivery-status"
        >
          {d.status}
        </Badge>
      ),
    },
    { key: 'attempts', header: 'Attempts', render: (d) => d.attempts },
    {
      key: 'error',
      header: 'Last answer',
      render: (d) => (
        <Text size="sm" lineClamp={2} maw={320}>
          {answerText(d.last_status_code, d.last_error) || '—'}
        </Text>
      ),
    },
    {
      key: 'device',
      header: 'Device',
      wide: true,
      render: (d) =>
        d.device_id ? (
          <Anchor
            component={Link}
            to={`/devices/${encodeURIComponent(d.device_id)}`}
            size="sm"
            ff="monospace"
          >
            {d.device_id.slice(0, 8)}
          </Anchor>
        ) : (
          '—'
        ),
    },
    {
      key: 'next',
      header: 'Next attempt',
      wide: true,
      render: (d) => (d.status === 'pending' ? formatTime(d.next_attempt_at) : '—'),
    },
    {
      key: 'log',
      header: 'Attempts log',
      render: (d) =>
        d.log.length ? (
          <Button size="compact-xs" variant="subtle" onClick={() => setOpen(open === d.id ? null : d.id)}>
            {open === d.id ? 'Hide' : 'Show'}
          </Button>
        ) : (
          '—'
        ),
    },
  ];

  const total = deliveries.data?.total ?? null;
  const shown = deliveries.data?.items.find((d) => d.id === open);
  return (
    <Card withBorder mt="md" data-testid="webhook-deliveries">
      <Group justify="space-between" mb="xs" wrap="nowrap" align="flex-start">
        <div style={{ minWidth: 0 }}>
          <Title order={2} fz="h4">
            Deliveries
          </Title>
          <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
            {webhook.url}
          </Text>
        </div>
        <CloseButton aria-label="Close deliveries" onClick={onClose} />
      </Group>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <SegmentedControl
            value={status}
            onChange={(v) => {
              setStatus(v);
              setPage(1);
            }}
            data={[
              { value: 'all', label: 'All' },
              { value: 'pending', label: 'Pending' },
              { value: 'delivered', label: 'Delivered' },
              { value: 'failed', label: 'Failed' },
            ]}
            aria-label="Delivery status"
          />
          {canWrite ? (
            <Button
              variant="light"
              onClick={() => redeliver.mutate()}
              loading={redeliver.isPending}
              data-testid="webhook-redeliver"
            >
              Retry failed deliveries
            </Button>
          ) : null}
        </Group>
        <Text size="xs" c="dimmed">
          A failed delivery holds back the later events of its device for this webhook until it is retried.
        </Text>
        <ErrorNote error={redeliver.error} title="Cannot retry" />
        <ErrorNote error={deliveries.error} title="Cannot list deliveries" />
        {deliveries.isPending ? (
          <Loading />
        ) : (
          <DataTable
            rows={deliveries.data?.items ?? []}
            columns={columns}
            rowKey={(d) => d.id}
            testId="webhook-deliveries-table"
            label="Deliveries"
            empty={
              status === 'all'
                ? 'No deliveries yet: this webhook gets the matching events created after it.'
                : `No ${status} deliveries.`
            }
            page={page}
            pages={total === null ? undefined : Math.max(1, Math.ceil(total / PER_PAGE))}
            onPage={setPage}
          />
        )}
        {shown ? (
          <div>
            <Text size="sm" fw={600} mb={4}>
              Attempts of the {shown.event_type} delivery
            </Text>
            <Attempts d={shown} />
          </div>
        ) : null}
      </Stack>
    </Card>
  );
};
