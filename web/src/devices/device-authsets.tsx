import { Button, Code, CopyButton, Group, Modal, ScrollArea, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { DataTable } from '../shared/data-table';
import { describeError } from '../shared/errors';
import { formatAgo, formatTime } from '../shared/format';
import { Section } from '../shared/section';
import { ConfirmButton } from '../shared/ui';
import { StatusBadge } from './badges';
import { decisionOf, useDeviceAudit } from './device-audit';
import { type AuthSet, authSetPath, type Device } from './devices-api';
import { FullFingerprint } from './fingerprint';

const PublicKeyButton = ({ authSet }: { authSet: AuthSet }) => {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        size="compact-xs"
        variant="subtle"
        color="gray"
        onClick={() => setOpen(true)}
        data-testid="authset-pubkey-open"
      >
        PEM
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Public key" size="lg" centered>
        <Stack gap="xs">
          <ScrollArea type="auto">
            <Code block data-testid="authset-pubkey">
              {authSet.pubkey}
            </Code>
          </ScrollArea>
          <Group justify="flex-end">
            <CopyButton value={authSet.pubkey}>
              {({ copied, copy }) => (
                <Button variant="light" size="xs" onClick={copy}>
                  {copied ? 'Copied' : 'Copy PEM'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Stack>
      </Modal>
    </>
  );
};

/** Every key the device has presented, with its full fingerprint, who decided, and the decisions left. */
export const DeviceAuthSets = ({ device }: { device: Device }) => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const audit = useDeviceAudit(device.id);
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['device', device.id] }),
      qc.invalidateQueries({ queryKey: ['devices'] }),
      qc.invalidateQueries({ queryKey: ['counts'] }),
    ]);
  const setStatus = useMutation({
    mutationFn: ({ aid, status }: { aid: string; status: 'accepted' | 'rejected' }) =>
      api(`${authSetPath(device.id, aid)}/status`, { method: 'PUT', body: { status } }),
    onSuccess: refresh,
  });
  const dismiss = useMutation({
    mutationFn: (aid: string) => api(authSetPath(device.id, aid), { method: 'DELETE' }),
    onSuccess: refresh,
  });

  const rows = [...device.auth_sets].sort((a, b) => b.ts.localeCompare(a.ts));
  const hasAccepted = rows.some((a) => a.status === 'accepted');

  const acceptNow = (aid: string) =>
    setStatus.mutate(
      { aid, status: 'accepted' },
      {
        onError: (e) =>
          notifications.show({ color: 'red', title: 'Could not accept the key', message: describeError(e) }),
      },
    );

  const actions = (a: AuthSet) => {
    if (!canWrite) return null;
    const canAccept = a.status === 'pending' || a.status === 'rejected';
    const canReject = a.status === 'pending' || a.status === 'accepted';
    const canDismiss = a.status !== 'accepted';
    return (
      <Group gap={4} wrap="nowrap">
        {canAccept && hasAccepted ? (
          <ConfirmButton
            size="compact-xs"
            color="green"
            label="Accept"
            title="Accept this key?"
            message="The device has another accepted key. Accepting this one rejects that key (key rotation): tokens issued for it stop working at once."
            confirmLabel="Accept and rotate"
            testId="authset-accept"
            onConfirm={() => setStatus.mutateAsync({ aid: a.id, status: 'accepted' })}
          />
        ) : canAccept ? (
          <Button
            size="compact-xs"
            color="green"
            variant="light"
            loading={setStatus.isPending && setStatus.variables?.aid === a.id}
            onClick={() => acceptNow(a.id)}
            data-testid="authset-accept"
          >
            Accept
          </Button>
        ) : null}
        {canReject ? (
          <ConfirmButton
            size="compact-xs"
            label="Reject"
            title="Reject this key?"
            message={
              a.status === 'accepted'
                ? 'The device is let in with this key no more: its tokens stop working at once.'
                : 'The device is not let in with this key. You can accept it later.'
            }
            testId="authset-reject"
            onConfirm={() => setStatus.mutateAsync({ aid: a.id, status: 'rejected' })}
          />
        ) : null}
        {canDismiss ? (
          <ConfirmButton
            size="compact-xs"
            color="gray"
            label="Dismiss"
            title="Dismiss this key?"
            message="The key is forgotten. If the device presents it again, it shows up as pending again."
            testId="authset-dismiss"
            onConfirm={() => dismiss.mutateAsync(a.id)}
          />
        ) : null}
      </Group>
    );
  };

  return (
    <Section title={`Keys (auth sets): ${rows.length}`} testId="device-authsets">
      <DataTable
        rows={rows}
        rowKey={(a) => a.id}
        testId="authsets-table"
        label="Auth sets of the device"
        empty="This device has no auth set left."
        columns={[
          {
            key: 'status',
            header: 'Status',
            render: (a) => <StatusBadge status={a.status} testId="authset-status" />,
          },
          {
            key: 'key',
            header: 'Key',
            render: (a) => (
              <Group gap={4} wrap="nowrap">
                <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                  {a.key_type ?? '—'}
                </Text>
                <PublicKeyButton authSet={a} />
              </Group>
            ),
          },
          {
            key: 'fingerprint',
            header: 'SHA-256 fingerprint',
            render: (a) => <FullFingerprint authSet={a} />,
          },
          {
            key: 'ts',
            header: 'Created',
            render: (a) => (
              <Text size="sm" title={formatTime(a.ts)} style={{ whiteSpace: 'nowrap' }}>
                {formatAgo(a.ts)}
              </Text>
            ),
          },
          {
            key: 'by',
            header: 'Decision',
            render: (a) => {
              const d = decisionOf(audit.data, a.id);
              return d ? (
                <Text size="sm" title={formatTime(d.at)} data-testid="authset-actor">
                  {d.text}
                </Text>
              ) : (
                <Text size="sm" c="dimmed">
                  —
                </Text>
              );
            },
          },
          { key: 'actions', header: '', render: actions },
        ]}
      />
    </Section>
  );
};
