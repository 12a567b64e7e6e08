import { Anchor, Badge, Button, Group, Stack, Text, VisuallyHidden } from '@mantine/core';
import { Link } from 'react-router';
import type { Column } from '../shared/data-table';
import { formatAgo, formatIdentity, formatTime } from '../shared/format';
import { PendingReasonBadge, StatusBadge } from './badges';
import { type Device, type DeviceStatus, primaryAuthSet } from './devices-api';
import { ShortFingerprint } from './fingerprint';

const Nowrap = ({ children }: { children: string }) => (
  <span style={{ whiteSpace: 'nowrap' }}>{children}</span>
);

const stop = (e: { stopPropagation: () => void }) => e.stopPropagation();

const Identity = ({ d, fresh }: { d: Device; fresh: boolean }) => {
  const text = formatIdentity(d.identity_data);
  return (
    <Stack gap={0} style={{ minWidth: 180, maxWidth: 380 }}>
      <Anchor
        component={Link}
        to={`/devices/${d.id}`}
        onClick={stop}
        data-row-link
        size="sm"
        fw={500}
        style={{ wordBreak: 'break-word' }}
      >
        {text === '' || text === '—' ? d.id : text}
      </Anchor>
      <Group gap={6} wrap="nowrap">
        <Text size="xs" c="dimmed" ff="monospace" title={d.id}>
          {d.id.slice(0, 8)}
        </Text>
        {fresh ? (
          <Badge
            size="xs"
            color="orange"
            variant="filled"
            data-testid="row-new"
            title="Arrived while you were looking"
          >
            new
          </Badge>
        ) : null}
      </Group>
    </Stack>
  );
};

const Seen = ({ d }: { d: Device }) => (
  <Stack gap={0} style={{ whiteSpace: 'nowrap' }}>
    <Text size="sm" title={`First seen ${formatTime(d.created_ts)}`}>
      {formatAgo(d.created_ts)}
    </Text>
    <Text
      size="xs"
      c="dimmed"
      title={d.check_in_time ? `Last check-in ${formatTime(d.check_in_time)}` : undefined}
    >
      {d.check_in_time ? `checked in ${formatAgo(d.check_in_time)}` : 'never checked in'}
    </Text>
  </Stack>
);

export const deviceColumns = (opts: {
  status: DeviceStatus;
  canDecide: boolean;
  busyId?: string;
  fresh: Set<string>;
  onAccept: (id: string) => void;
  onReject: (id: string) => void;
}): Column<Device>[] => {
  const cols: Column<Device>[] = [
    { key: 'identity', header: 'Identity', render: (d) => <Identity d={d} fresh={opts.fresh.has(d.id)} /> },
  ];
  if (opts.status === 'pending')
    cols.push({
      key: 'reason',
      header: <Nowrap>Why pending</Nowrap>,
      render: (d) => <PendingReasonBadge device={d} />,
    });
  cols.push(
    {
      key: 'key_type',
      header: 'Key',
      render: (d) => (
        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
          {primaryAuthSet(d)?.key_type ?? '—'}
        </Text>
      ),
    },
    {
      key: 'fingerprint',
      header: 'Fingerprint',
      render: (d) => <ShortFingerprint authSet={primaryAuthSet(d)} />,
    },
    {
      key: 'seen',
      header: <Nowrap>First seen / check-in</Nowrap>,
      render: (d) => <Seen d={d} />,
      wide: true,
    },
    {
      key: 'status',
      header: 'Status',
      render: (d) => (
        <Group gap={4} wrap="nowrap">
          <StatusBadge status={d.status} />
          {/* An admitted device that presented another key: a decision waits on its page. */}
          {d.status !== 'pending' && d.pending_reason ? <PendingReasonBadge device={d} /> : null}
        </Group>
      ),
    },
  );
  if (opts.status === 'pending' && opts.canDecide)
    cols.push({
      key: 'actions',
      header: <VisuallyHidden>Actions</VisuallyHidden>,
      render: (d) => (
        <Group gap={4} wrap="nowrap">
          <Button
            size="compact-xs"
            color="green"
            variant="light"
            loading={opts.busyId === d.id}
            onClick={(e) => {
              stop(e);
              opts.onAccept(d.id);
            }}
            data-testid="row-accept"
            aria-label={`Accept ${formatIdentity(d.identity_data)}`}
          >
            Accept
          </Button>
          <Button
            size="compact-xs"
            color="red"
            variant="subtle"
            onClick={(e) => {
              stop(e);
              opts.onReject(d.id);
            }}
            data-testid="row-reject"
            aria-label={`Reject ${formatIdentity(d.identity_data)}`}
          >
            Reject
          </Button>
        </Group>
      ),
    });
  return cols;
};
