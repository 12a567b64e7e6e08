import { Badge, Group, Text } from '@mantine/core';

/** Tags as small `name=value` badges. */
export const TagList = ({ tags }: { tags: Record<string, string> | null | undefined }) => {
  const entries = Object.entries(tags ?? {});
  if (entries.length === 0)
    return (
      <Text c="dimmed" size="sm">
        —
      </Text>
    );
  return (
    <Group gap={4}>
      {entries.map(([k, v]) => (
        <Badge key={k} variant="outline" tt="none" size="sm">
          {k}={v}
        </Badge>
      ))}
    </Group>
  );
};
