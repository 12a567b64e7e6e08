import { Alert, Anchor, CloseButton, Group, List, ScrollArea, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { BulkAction, BulkResult } from './devices-api';

const PAST: Record<BulkAction, string> = {
  accept: 'Accepted',
  reject: 'Rejected',
  dismiss: 'Dismissed',
  decommission: 'Decommissioned',
};

/** What one bulk request did: counts, and every device it could not act on with the reason. */
export const BulkResultPanel = ({
  action,
  result,
  names,
  onClose,
}: {
  action: BulkAction;
  result: BulkResult;
  /** Identity of the devices that were on screen when the action ran, by id. */
  names: Record<string, string>;
  onClose: () => void;
}) => {
  const failures = result.results.filter((r) => !r.ok);
  const color = result.failed === 0 ? 'green' : result.succeeded === 0 ? 'red' : 'yellow';
  return (
    <Alert
      color={color}
      mb="sm"
      data-testid="bulk-result"
      role="status"
      title={`${PAST[action]}: ${result.succeeded} succeeded, ${result.failed} failed`}
    >
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div style={{ minWidth: 0, flex: 1 }}>
          {failures.length > 0 ? (
            <ScrollArea.Autosize mah={220} type="auto">
              <List size="sm" spacing={2}>
                {failures.map((f) => (
                  <List.Item key={f.device_id} data-testid="bulk-failure">
                    <Anchor component={Link} to={`/devices/${f.device_id}`} size="sm" title={f.device_id}>
                      {names[f.device_id] ?? f.device_id}
                    </Anchor>
                    <Text span size="sm">
                      {' '}
                      — {f.error ?? 'failed'}
                      {f.code ? ` (${f.code})` : ''}
                    </Text>
                  </List.Item>
                ))}
              </List>
            </ScrollArea.Autosize>
          ) : (
            <Text size="sm">Every selected device was handled.</Text>
          )}
          {result.truncated ? (
            <Text size="sm" mt="xs" c="dimmed">
              The filter matched more devices than one request handles; only the first ones were acted on. Run
              the action again for the rest.
            </Text>
          ) : null}
        </div>
        <CloseButton aria-label="Close result" onClick={onClose} />
      </Group>
    </Alert>
  );
};
