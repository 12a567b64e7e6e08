import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';

/**
 * A secret the server shows only once (a webhook signing secret, an access token): the value, a
 * copy button and the warning that it cannot be shown again.
 */
export const ShownOnce = ({
  title,
  value,
  what,
  onClose,
  testId,
}: {
  title: string;
  value: string | null;
  /** What the value is, for the warning: "signing secret", "token". */
  what: string;
  onClose: () => void;
  testId: string;
}) => (
  <Modal opened={value !== null} onClose={onClose} title={title} size="lg" closeOnClickOutside={false}>
    <Stack gap="sm">
      <Alert color="yellow" title="Copy it now">
        This {what} is shown only this once: the server keeps no readable copy. If it is lost, make a new one.
      </Alert>
      <Code block data-testid={testId} style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
        {value ?? ''}
      </Code>
      <Group justify="space-between">
        <CopyButton value={value ?? ''}>
          {({ copied, copy }) => (
            <Button color={copied ? 'teal' : 'blue'} onClick={copy} data-testid={`${testId}-copy`}>
              {copied ? 'Copied' : 'Copy to clipboard'}
            </Button>
          )}
        </CopyButton>
        <Button variant="default" onClick={onClose} data-testid={`${testId}-done`}>
          I have copied it
        </Button>
      </Group>
      <Text size="xs" c="dimmed">
        Closing this window hides the {what} for good.
      </Text>
    </Stack>
  </Modal>
);
