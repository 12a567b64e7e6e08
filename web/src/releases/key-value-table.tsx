import { Code, Table, Text } from '@mantine/core';

const show = (v: unknown): string =>
  Array.isArray(v)
    ? v.map(String).join(', ')
    : typeof v === 'object' && v !== null
      ? JSON.stringify(v)
      : String(v);

/** A small two-column table of keys and values (artifact provides, depends, metadata). */
export const KeyValueTable = ({
  data,
  empty,
  label,
  testId,
}: {
  data: Record<string, unknown>;
  empty: string;
  label: string;
  testId?: string;
}) => {
  const entries = Object.entries(data);
  if (entries.length === 0)
    return (
      <Text size="sm" c="dimmed" data-testid={testId}>
        {empty}
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={320}>
      <Table withTableBorder verticalSpacing={4} aria-label={label} data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Key</Table.Th>
            <Table.Th>Value</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map(([k, v]) => (
            <Table.Tr key={k}>
              <Table.Td>
                <Code>{k}</Code>
              </Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{show(v)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
};
