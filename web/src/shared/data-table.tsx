import { Checkbox, Group, Pagination, ScrollArea, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export interface Column<T> {
  key: string;
  header: ReactNode;
  render: (row: T) => ReactNode;
  /** Hidden on narrow screens. */
  wide?: boolean;
}

/**
 * The one table of the console: columns, optional row selection (for bulk actions), an empty
 * state and page controls. Rows scroll sideways on a phone-width screen.
 */
export const DataTable = <T,>({
  rows,
  columns,
  rowKey,
  selected,
  onSelectedChange,
  empty = 'Nothing here yet.',
  page,
  pages,
  onPage,
  onRowClick,
  testId,
  label,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  selected?: Set<string>;
  onSelectedChange?: (next: Set<string>) => void;
  empty?: ReactNode;
  page?: number;
  pages?: number;
  onPage?: (page: number) => void;
  onRowClick?: (row: T) => void;
  testId?: string;
  label?: string;
}) => {
  const selectable = selected !== undefined && onSelectedChange !== undefined;
  const allSelected = selectable && rows.length > 0 && rows.every((r) => selected.has(rowKey(r)));
  const someSelected = selectable && rows.some((r) => selected.has(rowKey(r)));
  const toggleAll = () => {
    if (!selectable) return;
    const next = new Set(selected);
    for (const r of rows) {
      if (allSelected) next.delete(rowKey(r));
      else next.add(rowKey(r));
    }
    onSelectedChange(next);
  };
  const toggle = (id: string) => {
    if (!selectable) return;
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onSelectedChange(next);
  };
  return (
    <>
      <ScrollArea type="auto">
        <Table striped highlightOnHover verticalSpacing="xs" data-testid={testId} aria-label={label}>
          <Table.Thead>
            <Table.Tr>
              {selectable ? (
                <Table.Th w={40}>
                  <Checkbox
                    aria-label="Select all rows on this page"
                    checked={allSelected}
                    indeterminate={someSelected && !allSelected}
                    onChange={toggleAll}
                  />
                </Table.Th>
              ) : null}
              {columns.map((c) => (
                <Table.Th key={c.key} visibleFrom={c.wide ? 'sm' : undefined}>
                  {c.header}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={columns.length + (selectable ? 1 : 0)}>
                  <Text c="dimmed" size="sm" py="md" ta="center">
                    {empty}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ) : (
              rows.map((r) => {
                const id = rowKey(r);
                return (
                  <Table.Tr
                    key={id}
                    data-row-id={id}
                    onClick={onRowClick ? () => onRowClick(r) : undefined}
                    style={onRowClick ? { cursor: 'pointer' } : undefined}
                  >
                    {selectable ? (
                      <Table.Td onClick={(e) => e.stopPropagation()}>
                        <Checkbox
                          aria-label={`Select ${id}`}
                          checked={selected.has(id)}
                          onChange={() => toggle(id)}
                        />
                      </Table.Td>
                    ) : null}
                    {columns.map((c) => (
                      <Table.Td key={c.key} visibleFrom={c.wide ? 'sm' : undefined}>
                        {c.render(r)}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                );
              })
            )}
          </Table.Tbody>
        </Table>
      </ScrollArea>
      {pages && pages > 1 && page && onPage ? (
        <Group justify="center" mt="sm">
          <Pagination value={page} total={pages} onChange={onPage} size="sm" />
        </Group>
      ) : null}
    </>
  );
};
