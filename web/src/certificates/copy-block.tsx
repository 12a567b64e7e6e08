import { Box, Button, Code, CopyButton, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { saveFile } from '../shared/download';

/** Saves text as a file in the browser's download folder. */
export const downloadText = (filename: string, text: string, type = 'application/x-pem-file') =>
  saveFile(filename, new Blob([text.endsWith('\n') ? text : `${text}\n`], { type }));

/** A copy button for one value (a code, a secret, a fingerprint). */
export const CopyValue = ({
  value,
  label = 'Copy',
  testId,
}: {
  value: string;
  label?: string;
  testId?: string;
}) => (
  <CopyButton value={value} timeout={1500}>
    {({ copied, copy }) => (
      <Button
        size="compact-sm"
        variant={copied ? 'filled' : 'light'}
        color={copied ? 'teal' : undefined}
        onClick={copy}
        data-testid={testId}
        aria-label={`${label} to the clipboard`}
      >
        {copied ? 'Copied' : label}
      </Button>
    )}
  </CopyButton>
);

/**
 * A block of text to copy (PEM, commands), with a copy button and optionally a download button.
 * `testId` is on the block that holds the text.
 */
export const CopyBlock = ({
  text,
  label,
  filename,
  testId,
  maxHeight = 280,
}: {
  text: string;
  label?: ReactNode;
  filename?: string;
  testId?: string;
  maxHeight?: number;
}) => (
  <Box>
    <Group justify="space-between" mb={4} wrap="wrap" gap="xs">
      {label ? (
        <Text size="sm" fw={500}>
          {label}
        </Text>
      ) : (
        <span />
      )}
      <Group gap="xs">
        <CopyValue value={text} testId={testId ? `${testId}-copy` : undefined} />
        {filename ? (
          <Button size="compact-sm" variant="default" onClick={() => downloadText(filename, text)}>
            Download {filename}
          </Button>
        ) : null}
      </Group>
    </Group>
    <Code
      block
      data-testid={testId}
      style={{ maxHeight, overflow: 'auto', whiteSpace: 'pre', fontSize: 12 }}
      tabIndex={0}
    >
      {text}
    </Code>
  </Box>
);
