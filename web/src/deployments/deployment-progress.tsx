import { Badge, Group, Progress, Text, Tooltip } from '@mantine/core';
import { DEVICE_STATUSES, STATUS_COLORS, type Statistics, statusLabel } from './deployment-api';

/** Devices per status as one segmented bar; the legend lists the statuses that have devices. */
export const DeploymentProgress = ({
  stats,
  total,
  legend = false,
  size = 'md',
}: {
  stats: Statistics;
  total: number;
  legend?: boolean;
  size?: 'sm' | 'md' | 'lg' | 'xl';
}) => {
  const present = DEVICE_STATUSES.filter((s) => (stats[s] ?? 0) > 0);
  const sum = present.reduce((n, s) => n + stats[s], 0);
  const of = Math.max(total, sum, 1);
  const summary = present.map((s) => `${stats[s]} ${statusLabel(s)}`).join(', ') || 'no devices';
  return (
    <div>
      <Progress.Root size={size} aria-label={`Device statuses: ${summary}`} data-testid="deployment-progress">
        {present.map((s) => (
          <Tooltip key={s} label={`${stats[s]} ${statusLabel(s)}`} withArrow>
            <Progress.Section value={(stats[s] / of) * 100} color={STATUS_COLORS[s]} data-status={s} />
          </Tooltip>
        ))}
      </Progress.Root>
      {legend ? (
        <Group gap="xs" mt="xs" data-testid="deployment-statistics">
          {present.length === 0 ? (
            <Text size="sm" c="dimmed">
              No devices yet.
            </Text>
          ) : (
            present.map((s) => (
              <Badge
                key={s}
                color={STATUS_COLORS[s]}
                variant="dot"
                size="lg"
                tt="none"
                data-status={s}
                data-count={stats[s]}
              >
                {statusLabel(s)}: {stats[s]}
              </Badge>
            ))
          )}
        </Group>
      ) : null}
    </div>
  );
};
