import { Button, Group, JsonInput, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import type { Channel } from './bootstrap-api';

/** The metadata text as an object, or why it is not one. */
const parseMetadata = (
  text: string,
): { value: Record<string, unknown> | undefined; error: string | null } => {
  if (!text.trim()) return { value: undefined, error: null };
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return { value: undefined, error: 'Metadata must be a JSON object, e.g. {"qos": 1}' };
    return { value: v as Record<string, unknown>, error: null };
  } catch (e) {
    return { value: undefined, error: `Not valid JSON: ${(e as Error).message}` };
  }
};

/** Create (no `channel`) or edit a channel: name and JSON metadata. */
export const ChannelForm = ({
  base,
  channel,
  onDone,
}: {
  base: string;
  channel?: Channel;
  onDone: () => void;
}) => {
  const qc = useQueryClient();
  const [name, setName] = useState(channel?.name ?? '');
  const [metadata, setMetadata] = useState(
    channel && Object.keys(channel.metadata ?? {}).length ? JSON.stringify(channel.metadata, null, 2) : '',
  );
  const meta = parseMetadata(metadata);
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), metadata: meta.value ?? {} };
      return channel
        ? api<Channel>(`${base}/channels/${channel.id}`, { method: 'PUT', body })
        : api<Channel>(`${base}/channels`, { method: 'POST', body });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['bootstrap'] });
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} aria-label={channel ? 'Edit channel' : 'Create channel'}>
      <Stack>
        <TextInput
          label="Name"
          description="Unique in the tenant"
          required
          maxLength={256}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          data-testid="channel-name"
        />
        <JsonInput
          label="Metadata"
          description="A JSON object delivered to devices with the channel (optional)"
          placeholder='{"topic": "telemetry", "qos": 1}'
          value={metadata}
          onChange={setMetadata}
          error={meta.error}
          formatOnBlur={meta.error === null}
          autosize
          minRows={3}
          maxRows={14}
          data-testid="channel-metadata"
        />
        <ErrorNote error={save.error} title="The channel was not saved" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button
            type="submit"
            loading={save.isPending}
            disabled={!name.trim() || meta.error !== null}
            data-testid="channel-submit"
          >
            {channel ? 'Save' : 'Create channel'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
};
