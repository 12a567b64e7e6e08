import { Badge, Group, Progress, Stack, Text } from '@mantine/core';
import type { DeviceImport, ImportCounts } from './imports-api';

const STATUS_COLOR: Record<string, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
};

export const ImportStatusBadge = ({ status }: { status: string }) => (
  <Badge
    color={STATUS_COLOR[status] ?? 'gray'}
    variant="light"
    data-testid="import-status"
    data-status={status}
  >
    {status}
  </Badge>
);

const COUNTS: { key: keyof ImportCounts; one: string; many: string; color: string }[] = [
  { key: 'created', one: 'new', many: 'new', color: 'green' },
  { key: 'unchanged', one: 'unchanged', many: 'unchanged', color: 'gray' },
  { key: 'conflicts', one: 'conflict', many: 'conflicts', color: 'orange' },
  { key: 'invalid', one: 'invalid', many: 'invalid', color: 'red' },
];

const counted = (n: number, c: { one: string; many: string }) => `${n} ${n === 1 ? c.one : c.many}`;

/**
 * What the rows of a manifest came to: new devices (preauthorized), rows that changed nothing
 * (the device is there already, same key), conflicts with other devices, and invalid rows.
 */
export const ImportCountBadges = ({ counts }: { counts: ImportCounts }) => (
  <Group gap="xs" data-testid="import-counts">
    <Badge
      variant="outline"
      color="dark"
      size="lg"
      tt="none"
      data-testid="import-count-rows"
      data-count={counts.rows}
    >
      {counts.rows} row{counts.rows === 1 ? '' : 's'}
    </Badge>
    {COUNTS.map((c) => (
      <Badge
        key={c.key}
        color={c.color}
        variant={counts[c.key] > 0 ? 'light' : 'outline'}
        size="lg"
        tt="none"
        data-testid={`import-count-${c.key}`}
        data-count={counts[c.key]}
      >
        {counted(counts[c.key], c)}
      </Badge>
    ))}
  </Group>
);

/** The counts on one line, for a table cell. */
export const countsInWords = (c: ImportCounts): string =>
  COUNTS.filter((x) => x.key === 'created' || c[x.key] > 0)
    .map((x) => counted(c[x.key], x))
    .join(' · ');

/** How far an import is: every line up to done_line is committed. */
export const ImportProgress = ({ job }: { job: DeviceImport }) => {
  const done = job.status === 'succeeded';
  const percent = done
    ? 100
    : job.lines_total > 0
      ? Math.min(100, Math.floor((job.done_line / job.lines_total) * 100))
      : 0;
  const live = job.status === 'queued' || job.status === 'running';
  return (
    <Stack gap={4}>
      <Progress
        value={percent}
        size="lg"
        color={job.status === 'failed' ? 'red' : done ? 'green' : 'blue'}
        animated={live}
        striped={live}
        aria-label="Import progress"
        data-testid="import-progress"
        data-progress={percent}
      />
      <Text size="sm" c="dimmed" aria-live="polite" data-testid="import-progress-text">
        {job.status === 'queued'
          ? 'Queued: the import worker starts it shortly.'
          : `Line ${done ? job.lines_total : job.done_line} of ${job.lines_total} (${percent}%)`}
      </Text>
    </Stack>
  );
};
