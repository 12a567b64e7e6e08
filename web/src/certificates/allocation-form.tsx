import { Button, Group, NumberInput, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import { ALLOCATION, type AllocationWebhook, type AllocationWithSecret } from './enrollment-api';

/** Create (answers the secret, shown once) or edit an allocation webhook. */
export const AllocationForm = ({
  hook,
  onCreated,
  onDone,
  onCancel,
}: {
  hook?: AllocationWebhook;
  onCreated: (h: AllocationWithSecret) => void;
  onDone: () => void;
  onCancel: () => void;
}) => {
  const qc = useQueryClient();
  const [url, setUrl] = useState(hook?.url ?? '');
  const [description, setDescription] = useState(hook?.description ?? '');
  const [timeout, setTimeoutMs] = useState<number | string>(hook?.timeout_ms ?? 5000);
  let urlError: string | null = null;
  if (url.trim()) {
    try {
      const u = new URL(url.trim());
      if (u.protocol !== 'https:' && u.protocol !== 'http:') urlError = 'An http(s) URL';
    } catch {
      urlError = 'Not a URL (https://…)';
    }
  }
  const save = useMutation({
    mutationFn: async () => {
      const body = {
        url: url.trim(),
        description: description.trim(),
        ...(typeof timeout === 'number' ? { timeout_ms: timeout } : {}),
      };
      if (hook) {
        await api(`${ALLOCATION}/${hook.id}`, { method: 'PATCH', body });
        return null;
      }
      return api<AllocationWithSecret>(ALLOCATION, { method: 'POST', body });
    },
    onSuccess: (created) => {
      void qc.invalidateQueries({ queryKey: ['allocation'] });
      if (created) onCreated(created);
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} aria-label={hook ? 'Edit allocation webhook' : 'Create allocation webhook'}>
      <Stack>
        <TextInput
          label="URL"
          description="Gatehouse POSTs each admission's context here and follows the answer (allow or deny)"
          placeholder="https://provisioning.example.com/allocate"
          required
          value={url}
          onChange={(e) => setUrl(e.currentTarget.value)}
          error={urlError}
          data-testid="allocation-url"
        />
        <TextInput
          label="Description"
          maxLength={1024}
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          data-testid="allocation-description"
        />
        <NumberInput
          label="Timeout (ms)"
          description="A slower answer denies the admission; 100 to 30000"
          min={100}
          max={30_000}
          step={500}
          allowDecimal={false}
          value={timeout}
          onChange={setTimeoutMs}
          data-testid="allocation-timeout"
        />
        <ErrorNote error={save.error} title="The webhook was not saved" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button
            type="submit"
            loading={save.isPending}
            disabled={!url.trim() || urlError !== null}
            data-testid="allocation-submit"
          >
            {hook ? 'Save' : 'Create webhook'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
};
