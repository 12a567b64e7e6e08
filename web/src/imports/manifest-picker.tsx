import { Alert, Badge, Button, Checkbox, Group, List, Stack, Text } from '@mantine/core';
import { useRef } from 'react';
import { FileDropZone } from '../shared/drop-zone';
import { formatBytes } from '../shared/format';
import { formatOfName, type ManifestPick } from './manifest-files';

/**
 * The manifest and its signature, dropped together or chosen (several files at once), with the
 * choice to import an unsigned manifest, which must be made explicitly.
 */
export const ManifestPicker = ({
  pick,
  signatureError,
  notes,
  problem,
  allowUnsigned,
  onAllowUnsigned,
  onFiles,
  onClear,
  disabled,
}: {
  pick: ManifestPick<File>;
  signatureError: string | null;
  notes: string[];
  problem: string | null;
  allowUnsigned: boolean;
  onAllowUnsigned: (allow: boolean) => void;
  onFiles: (files: File[]) => void;
  onClear: () => void;
  disabled: boolean;
}) => {
  const input = useRef<HTMLInputElement>(null);
  const { manifest, signature } = pick;
  return (
    <Stack gap="sm">
      <FileDropZone onFiles={(files) => onFiles([...files])} disabled={disabled} testId="manifest-drop-zone">
        <Stack gap={6}>
          <Text size="sm" component="label" htmlFor="manifest-files">
            Drop the manifest (<code>.jsonl</code> or <code>.csv</code>) and its signature (
            <code>&lt;manifest&gt;.sig</code>) here together, or choose them:
          </Text>
          <input
            ref={input}
            id="manifest-files"
            type="file"
            multiple
            accept=".jsonl,.ndjson,.csv,.sig"
            data-testid="manifest-file"
            disabled={disabled}
            onChange={(e) => {
              onFiles([...(e.currentTarget.files ?? [])]);
              // So that choosing the same file again is seen again.
              e.currentTarget.value = '';
            }}
            style={{ maxWidth: '100%' }}
          />
          <Group gap="xs" wrap="wrap" data-testid="manifest-selected">
            {manifest ? (
              <>
                <Text size="sm" fw={500} data-testid="manifest-name">
                  {manifest.name}
                </Text>
                <Badge variant="light" data-testid="manifest-format">
                  {formatOfName(manifest.name)}
                </Badge>
                <Text size="sm" c="dimmed">
                  {formatBytes(manifest.size)}
                </Text>
              </>
            ) : (
              <Text size="sm" c="dimmed">
                No manifest yet.
              </Text>
            )}
            {signature ? (
              <Badge color="green" variant="light" tt="none" data-testid="signature-name">
                signature: {signature.name}
              </Badge>
            ) : manifest ? (
              <Badge color="yellow" variant="light" tt="none" data-testid="signature-missing">
                no signature
              </Badge>
            ) : null}
            {manifest || signature ? (
              <Button size="compact-xs" variant="subtle" color="gray" onClick={onClear} disabled={disabled}>
                Clear
              </Button>
            ) : null}
          </Group>
        </Stack>
      </FileDropZone>
      {problem ? (
        <Alert color="red" data-testid="manifest-problem">
          {problem}
        </Alert>
      ) : null}
      {signatureError ? (
        <Alert color="red" data-testid="signature-problem">
          {signature?.name}: {signatureError}.
        </Alert>
      ) : null}
      {notes.length > 0 ? (
        <List size="sm" c="dimmed" data-testid="manifest-notes">
          {notes.map((n) => (
            <List.Item key={n}>{n}</List.Item>
          ))}
        </List>
      ) : null}
      {manifest && !signature ? (
        <Checkbox
          checked={allowUnsigned}
          onChange={(e) => onAllowUnsigned(e.currentTarget.checked)}
          disabled={disabled}
          data-testid="allow-unsigned"
          label="Import this manifest without a signature"
          description="A signature from a registered factory key proves the manifest comes from your factory and was not changed on the way. Without one, whoever hands you the file decides which devices are let in. Allow it only for a manifest you made or checked yourself."
        />
      ) : null}
    </Stack>
  );
};
