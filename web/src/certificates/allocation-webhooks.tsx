import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, apiPage } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { AllocationForm } from './allocation-form';
import { AllocationTestButton } from './allocation-test';
import { CopyValue } from './copy-block';
import {
  ALLOCATION,
  type AllocationWebhook,
  type AllocationWithSecret,
  enrollmentKeys,
  PAGE_SIZE,
} from './enrollment-api';

type Editing = { mode: 'create' } | { mode: 'edit'; hook: AllocationWebhook } | null;

/** The signing secret of a webhook just created or rotated: shown once. */
const SecretOnce = ({ hook, onDismiss }: { hook: AllocationWithSecret; onDismiss: () => void }) => (
  <Alert
    styles={{ body: { minWidth: 0 } }}
    color="yellow"
    title={`Signing secret of ${hook.description || hook.url}: copy it now, it is not shown again`}
    withCloseButton
    onClose={onDismiss}
  >
    <Stack gap={4}>
      <Group gap="xs" wrap="wrap">
        <Text ff="monospace" size="sm" data-testid="allocation-secret" style={{ wordBreak: 'break-all' }}>
          {hook.secret}
        </Text>
        <CopyValue value={hook.secret} testId="allocation-secret-copy" />
      </Group>
      <Text size="xs">
        Your receiver checks the X-Gatehouse-Signature header (v1= HMAC-SHA256 of timestamp + "." + body,
        keyed with this secret) to know the call comes from Gatehouse.
      </Text>
    </Stack>
  </Alert>
);

/** Allocation webhooks: an HTTPS service that allows or denies each certificate admission. */
export const AllocationWebhooks = () => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const phone = useMediaQuery('(max-width: 48em)');
  const [editing, setEditing] = useState<Editing>(null);
  const [secret, setSecret] = useState<AllocationWithSecret | null>(null);
  const [page, setPage] = useState(1);
  const list = useQuery({
    queryKey: enrollmentKeys.webhooks(page),
    queryFn: () => apiPage<AllocationWebhook>(ALLOCATION, { page, per_page: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const close = () => setEditing(null);
  const columns: Column<AllocationWebhook>[] = [
    {
      key: 'url',
      header: 'URL',
      render: (h) => (
        <Stack gap={0} miw={220}>
          <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
            {h.url}
          </Text>
          {h.description ? (
            <Text size="xs" c="dimmed">
              {h.description}
            </Text>
          ) : null}
        </Stack>
      ),
    },
    { key: 'timeout', header: 'Timeout', render: (h) => `${h.timeout_ms} ms` },
    { key: 'updated', header: 'Changed', wide: true, render: (h) => formatTime(h.updated_at) },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: 'Actions',
            render: (h: AllocationWebhook) => (
              <Group gap="xs" wrap="nowrap">
                <AllocationTestButton hook={h} />
                <Button
                  size="compact-sm"
                  variant="default"
                  onClick={() => setEditing({ mode: 'edit', hook: h })}
                  data-testid={`allocation-edit-${h.id}`}
                >
                  Edit
                </Button>
                <ConfirmButton
                  label="Rotate secret"
                  size="compact-sm"
                  color="orange"
                  title="Replace the signing secret"
                  confirmLabel="Replace secret"
                  testId={`allocation-rotate-${h.id}`}
                  message="Gatehouse signs calls with a new secret from now on; your receiver rejects them until you give it the new secret."
                  onConfirm={async () => {
                    const rotated = await api<AllocationWithSecret>(`${ALLOCATION}/${h.id}/secret`, {
                      method: 'POST',
                    });
                    setSecret(rotated);
                    await qc.invalidateQueries({ queryKey: ['allocation'] });
                  }}
                />
                <ConfirmButton
                  label="Delete"
                  size="compact-sm"
                  title="Delete this webhook"
                  confirmLabel="Delete"
                  testId={`allocation-delete-${h.id}`}
                  message="A webhook an enrollment group uses cannot be deleted: choose no webhook in that group first."
                  onConfirm={async () => {
                    await api(`${ALLOCATION}/${h.id}`, { method: 'DELETE' });
                    await qc.invalidateQueries({ queryKey: ['allocation'] });
                  }}
                />
              </Group>
            ),
          },
        ]
      : []),
  ];
  const total = list.data?.total ?? null;
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" maw={640}>
          An enrollment group can ask a service of yours before admitting each device: it answers allow or
          deny and may set the inventory group, tags and bootstrap content. A timeout, an error or a malformed
          answer denies.
        </Text>
        {canWrite ? (
          <Button onClick={() => setEditing({ mode: 'create' })} data-testid="allocation-create">
            Create webhook
          </Button>
        ) : null}
      </Group>
      {secret ? <SecretOnce hook={secret} onDismiss={() => setSecret(null)} /> : null}
      <ErrorNote error={list.error} title="Cannot list the allocation webhooks" />
      {list.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={list.data?.items ?? []}
          columns={columns}
          rowKey={(h) => h.id}
          testId="allocation-webhooks-table"
          label="Allocation webhooks"
          empty="No allocation webhook. Create one to decide admissions in your own service."
          page={page}
          pages={total === null ? undefined : Math.max(1, Math.ceil(total / PAGE_SIZE))}
          onPage={setPage}
        />
      )}
      <Modal
        opened={editing !== null}
        onClose={close}
        title={editing?.mode === 'edit' ? 'Edit allocation webhook' : 'Create an allocation webhook'}
        size="lg"
        fullScreen={phone}
      >
        {editing ? (
          <AllocationForm
            key={editing.mode === 'edit' ? editing.hook.id : 'new'}
            hook={editing.mode === 'edit' ? editing.hook : undefined}
            onCreated={setSecret}
            onDone={close}
            onCancel={close}
          />
        ) : null}
      </Modal>
    </Stack>
  );
};
