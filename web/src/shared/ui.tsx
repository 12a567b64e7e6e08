import { Alert, Button, Center, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { type ReactNode, useState } from 'react';
import { describeError } from './errors';

/** An API error in words, with the request id when the server failed. */
export const ErrorNote = ({ error, title }: { error: unknown; title?: string }) =>
  error ? (
    <Alert color="red" title={title ?? 'Something went wrong'} role="alert" data-testid="error">
      {describeError(error)}
    </Alert>
  ) : null;

export const Loading = ({ label = 'Loading…' }: { label?: string }) => (
  <Center p="lg" aria-busy="true">
    <Group gap="xs">
      <Loader size="sm" />
      <Text size="sm" c="dimmed">
        {label}
      </Text>
    </Group>
  </Center>
);

export const PageTitle = ({ children, actions }: { children: ReactNode; actions?: ReactNode }) => (
  <Group justify="space-between" mb="md" wrap="wrap">
    <Text component="h1" fz="h2" fw={600} m={0}>
      {children}
    </Text>
    {actions ? <Group gap="xs">{actions}</Group> : null}
  </Group>
);

/** A confirmation dialog for destructive actions; resolves the action's promise inside. */
export const ConfirmButton = ({
  label,
  title,
  message,
  confirmLabel,
  onConfirm,
  color = 'red',
  disabled,
  variant = 'light',
  size = 'sm',
  testId,
}: {
  label: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown> | unknown;
  color?: string;
  disabled?: boolean;
  variant?: string;
  size?: string;
  testId?: string;
}) => {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <Button
        color={color}
        variant={variant}
        size={size}
        disabled={disabled}
        onClick={() => setOpen(true)}
        data-testid={testId}
      >
        {label}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title} centered>
        <Stack>
          <Text size="sm">{message}</Text>
          <ErrorNote error={error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button
              color={color}
              loading={busy}
              data-testid={testId ? `${testId}-confirm` : undefined}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await onConfirm();
                  setOpen(false);
                } catch (e) {
                  setError(e);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {confirmLabel ?? title}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
};
