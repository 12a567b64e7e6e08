import { Button, Group, Text } from '@mantine/core';

/** Previous / next for lists whose total the API does not send (a full page means there may be more). */
export const Pager = ({
  page,
  hasNext,
  onPage,
}: {
  page: number;
  hasNext: boolean;
  onPage: (page: number) => void;
}) =>
  page > 1 || hasNext ? (
    <Group justify="center" gap="xs" mt="sm">
      <Button variant="default" size="compact-sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </Button>
      <Text size="sm" c="dimmed">
        Page {page}
      </Text>
      <Button variant="default" size="compact-sm" disabled={!hasNext} onClick={() => onPage(page + 1)}>
        Next
      </Button>
    </Group>
  ) : null;
