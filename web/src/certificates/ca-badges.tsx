import { Badge, Group, Tooltip } from '@mantine/core';
import { type Ca, isExpired } from './pki-api';

/** Verified or not (text exactly `verified` / `unverified`), plus disabled, expired and built-in marks. */
export const CaBadges = ({ ca, testId, size = 'sm' }: { ca: Ca; testId?: string; size?: 'sm' | 'lg' }) => (
  <Group gap={4} wrap="wrap">
    <Tooltip
      label={
        ca.status === 'verified'
          ? 'Possession of the CA key was proved: the CA can admit devices'
          : 'Prove possession of the CA key before it admits devices'
      }
    >
      <Badge
        color={ca.status === 'verified' ? 'green' : 'orange'}
        variant="light"
        tt="none"
        size={size}
        data-testid={testId}
        data-status={ca.status}
      >
        {ca.status}
      </Badge>
    </Tooltip>
    {ca.enabled ? null : (
      <Badge color="gray" variant="light" tt="none" size={size}>
        disabled
      </Badge>
    )}
    {isExpired(ca.not_after) ? (
      <Badge color="red" variant="light" tt="none" size={size}>
        expired
      </Badge>
    ) : null}
    {ca.kind === 'builtin' ? (
      <Badge color="blue" variant="light" tt="none" size={size}>
        built-in
      </Badge>
    ) : null}
  </Group>
);
