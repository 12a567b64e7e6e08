import { Button, Chip, Group, Modal, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import {
  EVENT_DOMAINS,
  parseEventTypes,
  WEBHOOKS_PATH,
  type Webhook,
  type WebhookWithSecret,
  webhookPath,
} from './webhook-api';

/** Creates a webhook (then hands its secret to onCreated) or edits one. */
export const WebhookForm = ({
  webhook,
  onClose,
  onCreated,
}: {
  /** null: a new webhook. */
  webhook: Webhook | null;
  onClose: () => void;
  onCreated: (w: WebhookWithSecret) => void;
}) => {
  const qc = useQueryClient();
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [types, setTypes] = useState((webhook?.event_types ?? ['device.*']).join(', '));
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [enabled, setEnabled] = useState(webhook?.enabled ?? true);
  const list = parseEventTypes(types);

  const save = useMutation({
    mutationFn: async () => {
      const body = { url: url.trim(), event_types: list, description, enabled };
      if (webhook) return api<Webhook>(webhookPath(webhook.id), { method: 'PATCH', body });
      return api<WebhookWithSecret>(WEBHOOKS_PATH, { method: 'POST', body });
    },
    onSuccess: (w) => {
      void qc.invalidateQueries({ queryKey: ['webhooks'] });
      onClose();
      if (!webhook) onCreated(w as WebhookWithSecret);
    },
  });

  const toggle = (t: string) =>
    setTypes((list.includes(t) ? list.filter((x) => x !== t) : [...list, t]).join(', '));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <Modal opened onClose={onClose} title={webhook ? 'Edit webhook' : 'New webhook'} size="lg">
      <form onSubmit={submit} aria-label={webhook ? 'Edit webhook' : 'New webhook'}>
        <Stack gap="sm">
          <TextInput
            label="URL"
            description="http(s) address that receives a signed POST for every matching event"
            placeholder="https://hooks.example.com/gatehouse"
            required
            type="url"
            maxLength={2048}
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            data-testid="webhook-url"
            data-autofocus
          />
          <TextInput
            label="Event types"
            description='Exact types or "<domain>.*", separated by commas; "*" for every event'
            required
            value={types}
            onChange={(e) => setTypes(e.currentTarget.value)}
            data-testid="webhook-event-types"
          />
          <Group gap={6} aria-label="Add or remove a whole domain">
            {['*', ...EVENT_DOMAINS].map((t) => (
              <Chip key={t} size="xs" checked={list.includes(t)} onChange={() => toggle(t)}>
                {t}
              </Chip>
            ))}
          </Group>
          <TextInput
            label="Description (optional)"
            maxLength={1024}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
            data-testid="webhook-description"
          />
          <Switch
            label="Enabled"
            description="A disabled webhook is sent nothing, not even later, for the events of that time."
            checked={enabled}
            onChange={(e) => setEnabled(e.currentTarget.checked)}
            data-testid="webhook-enabled"
          />
          {!webhook ? (
            <Text size="xs" c="dimmed">
              The webhook receives events created after it. Its signing secret is shown once, right after
              saving.
            </Text>
          ) : null}
          <ErrorNote error={save.error} title="The webhook was not saved" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={save.isPending}
              disabled={!url.trim() || list.length === 0}
              data-testid="webhook-save"
            >
              {webhook ? 'Save' : 'Create webhook'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
};
