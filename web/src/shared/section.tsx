import { Group, Paper, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** One titled block of a page (a device's sections, an import's result). */
export const Section = ({
  title,
  actions,
  children,
  testId,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
}) => (
  <Paper withBorder radius="md" p="md" data-testid={testId} component="section">
    <Group justify="space-between" mb="xs" gap="xs" wrap="wrap">
      <Text component="h2" fw={600} fz="md" m={0}>
        {title}
      </Text>
      {actions ? <Group gap="xs">{actions}</Group> : null}
    </Group>
    {children}
  </Paper>
);

/** A label/value line of a summary. */
export const Field = ({ label, children }: { label: string; children: ReactNode }) => (
  <Group gap="xs" wrap="nowrap" align="flex-start">
    <Text size="sm" c="dimmed" w={120} style={{ flexShrink: 0 }}>
      {label}
    </Text>
    <div style={{ minWidth: 0, flex: 1, fontSize: 'var(--mantine-font-size-sm)', wordBreak: 'break-word' }}>
      {children}
    </div>
  </Group>
);
