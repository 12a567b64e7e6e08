import { Button, Card, Group, Progress, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { ApiError } from '../shared/api';
import { FileDropZone } from '../shared/drop-zone';
import { describeError } from '../shared/errors';
import { formatBytes } from '../shared/format';
import { ErrorNote } from '../shared/ui';
import { type Upload, UploadCancelled, uploadArtifact } from './upload-xhr';

/** Ends a sentence with a full stop, whatever the server's message ended with. */
const stop = (s: string) => s.trim().replace(/[.:]?$/, '.');

/** Upload refusals in words (describeError), with what to do about each. */
const describeUploadError = (e: unknown): string => {
  if (!(e instanceof ApiError)) return describeError(e);
  switch (e.status) {
    case 400:
      return `${stop(describeError(e))} Upload a Mender artifact (.mender, made with mender-artifact); this file is not one, or it is damaged.`;
    case 409:
      return `${stop(describeError(e))} Give the new version another artifact name, or delete the old artifact first.`;
    case 413:
      return `${stop(describeError(e))} The server says: ${stop(e.message)} Its administrator sets that limit.`;
    default:
      return describeError(e);
  }
};

export const ArtifactUpload = () => {
  const qc = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [description, setDescription] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [upload, setUpload] = useState<Upload | null>(null);
  const [error, setError] = useState<Error | null>(null);

  const pick = (f: File | null) => {
    setFile(f);
    setError(null);
  };

  const reset = () => {
    setFile(null);
    setDescription('');
    setProgress(null);
    setUpload(null);
    if (input.current) input.current.value = '';
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file || upload) return;
    setError(null);
    setProgress(0);
    const u = uploadArtifact(file, description, setProgress);
    setUpload(u);
    try {
      await u.done;
      // Notifications live outside the router: no <Link> in them.
      notifications.show({
        color: 'green',
        title: 'Artifact uploaded',
        message: `${file.name} is checked and stored; it is in the list below.`,
      });
      reset();
      void qc.invalidateQueries({ queryKey: ['artifacts'] });
      void qc.invalidateQueries({ queryKey: ['releases'] });
    } catch (err) {
      setUpload(null);
      setProgress(null);
      if (err instanceof UploadCancelled) {
        notifications.show({ title: 'Upload cancelled', message: `${file.name} was not uploaded.` });
      } else setError(new Error(describeUploadError(err)));
    }
  };

  const onDrop = (files: FileList) => {
    const f = files[0];
    if (!f) return;
    // The file input shows the dropped file too.
    if (input.current) input.current.files = files;
    pick(f);
  };

  const percent = progress === null ? 0 : Math.round(progress * 100);
  return (
    <Card withBorder mb="md" padding="md">
      <form onSubmit={submit} aria-label="Upload an artifact">
        <Stack gap="sm">
          <Title order={2} fz="h4">
            Upload an artifact
          </Title>
          <FileDropZone onFiles={onDrop} disabled={upload !== null} testId="artifact-drop-zone">
            <Stack gap={6}>
              <Text size="sm" component="label" htmlFor="artifact-file">
                Drop a Mender artifact (<code>.mender</code>) here, or choose one:
              </Text>
              <input
                ref={input}
                id="artifact-file"
                type="file"
                accept=".mender,application/octet-stream"
                data-testid="artifact-file"
                disabled={upload !== null}
                onChange={(e) => pick(e.currentTarget.files?.[0] ?? null)}
                style={{ maxWidth: '100%' }}
              />
              {file ? (
                <Text size="sm" c="dimmed">
                  {file.name} · {formatBytes(file.size)}
                </Text>
              ) : null}
            </Stack>
          </FileDropZone>
          <TextInput
            label="Description (optional)"
            value={description}
            maxLength={4096}
            disabled={upload !== null}
            onChange={(e) => setDescription(e.currentTarget.value)}
            data-testid="artifact-description"
          />
          {progress !== null ? (
            <Stack gap={4}>
              <Progress
                value={percent}
                size="lg"
                animated={percent < 100}
                data-testid="upload-progress"
                data-progress={percent}
                aria-label="Upload progress"
              />
              <Text size="sm" c="dimmed" aria-live="polite">
                {percent < 100 ? `Uploading… ${percent}%` : '100%: the server is checking the artifact…'}
              </Text>
            </Stack>
          ) : null}
          <ErrorNote error={error} title="The artifact was not uploaded" />
          <Group gap="xs">
            <Button type="submit" disabled={!file || upload !== null} data-testid="artifact-upload">
              {upload ? 'Uploading…' : 'Upload'}
            </Button>
            {upload ? (
              <Button variant="default" onClick={() => upload.cancel()} data-testid="upload-cancel">
                Cancel upload
              </Button>
            ) : null}
          </Group>
        </Stack>
      </form>
    </Card>
  );
};
