import { Anchor, Badge, Text } from '@mantine/core';
import { Link } from 'react-router';
import { type Column, DataTable } from '../shared/data-table';
import type { ImportProblem } from './imports-api';

const columns: Column<ImportProblem>[] = [
  {
    key: 'line',
    header: 'Line',
    render: (p) => (
      <Text size="sm" ff="monospace" data-testid="problem-line">
        {p.line}
      </Text>
    ),
  },
  {
    key: 'outcome',
    header: 'Outcome',
    render: (p) => (
      <Badge
        color={p.outcome === 'conflict' ? 'orange' : 'red'}
        variant="light"
        data-testid="problem-outcome"
      >
        {p.outcome}
      </Badge>
    ),
  },
  {
    key: 'device',
    header: 'Device',
    render: (p) =>
      p.device_id ? (
        <Anchor
          component={Link}
          to={`/devices/${p.device_id}`}
          size="sm"
          ff="monospace"
          title="The device that holds this identity or key"
          data-testid="problem-device"
        >
          {p.device_id.slice(0, 8)}…
        </Anchor>
      ) : (
        <Text size="sm" c="dimmed">
          —
        </Text>
      ),
  },
  {
    key: 'reason',
    header: 'Reason',
    render: (p) => (
      <Text size="sm" data-testid="problem-reason" style={{ wordBreak: 'break-word' }}>
        {p.reason ?? ''}
      </Text>
    ),
  },
];

/**
 * The manifest rows that were not imported, by line of the file: conflicts (the identity or key
 * belongs to another device, linked) and invalid rows, with the reason.
 */
export const ProblemsTable = ({
  problems,
  testId,
  empty = 'Every row is fine.',
}: {
  problems: ImportProblem[];
  testId: string;
  empty?: string;
}) => (
  <DataTable
    rows={problems}
    columns={columns}
    rowKey={(p) => String(p.line)}
    testId={testId}
    label="Problem rows"
    empty={empty}
  />
);
