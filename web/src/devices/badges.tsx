import { Badge, Text, Tooltip } from '@mantine/core';
import { type Device, PENDING_REASON_TEXT, STATUS_COLOR } from './devices-api';

const REASON_HINT = {
  new_device: 'No device with this identity was known: someone has to admit it.',
  new_key:
    'A known device presented another key. Accept it if the device rotated its key; reject it if the device should keep the key it has.',
  key_collision:
    'This key is already held by another device and was now presented under a different identity. Check both before accepting.',
} as const;

const REASON_COLOR = { new_device: 'blue', new_key: 'grape', key_collision: 'red' } as const;

/** Why a device waits for a decision; nothing when the server did not say. */
export const PendingReasonBadge = ({ device }: { device: Device }) => {
  const r = device.pending_reason;
  if (!r || !(r in PENDING_REASON_TEXT))
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  return (
    <Tooltip label={REASON_HINT[r]} multiline w={280} withArrow>
      <Badge
        color={REASON_COLOR[r]}
        variant="light"
        data-testid="pending-reason"
        data-reason={r}
        styles={{
          // Long reasons wrap onto a second line instead of being cut or widening the table.
          root: {
            textTransform: 'none',
            height: 'auto',
            paddingBlock: 2,
            maxWidth: 190,
            overflow: 'visible',
          },
          label: { whiteSpace: 'normal', lineHeight: 1.3, textAlign: 'center' },
        }}
      >
        {PENDING_REASON_TEXT[r]}
      </Badge>
    </Tooltip>
  );
};

export const StatusBadge = ({ status, testId }: { status: string; testId?: string }) => (
  <Badge
    color={STATUS_COLOR[status] ?? 'gray'}
    variant="light"
    data-testid={testId}
    data-status={status}
    style={{ minWidth: 'max-content' }}
  >
    {status}
  </Badge>
);
