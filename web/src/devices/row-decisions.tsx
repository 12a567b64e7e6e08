import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { api } from '../shared/api';
import { describeError } from '../shared/errors';
import { formatIdentity } from '../shared/format';
import { ErrorNote } from '../shared/ui';
import { authSetPath, type Device, pendingAuthSet } from './devices-api';
import { focusRowById } from './use-row-shortcuts';

type Decision = 'accepted' | 'rejected';

/**
 * Accept / reject of one pending device from the list (its newest pending auth set), by button or
 * by keyboard. Rejecting asks first. After the decision the focus moves to the next row.
 */
export const useRowDecisions = (rows: Device[], tableTestId: string) => {
  const qc = useQueryClient();
  const [rejecting, setRejecting] = useState<{ device: Device; nextId?: string } | null>(null);
  /** Where the focus goes when the reject dialog has closed. */
  const focusAfter = useRef<string | undefined>(undefined);

  const decide = useMutation({
    mutationFn: async ({ device, status }: { device: Device; status: Decision; nextId?: string }) => {
      const a = pendingAuthSet(device);
      if (!a) throw new Error('This device has no pending key left to decide on.');
      await api(`${authSetPath(device.id, a.id)}/status`, { method: 'PUT', body: { status } });
    },
    onSuccess: async (_r, { nextId }) => {
      await Promise.all([
        qc.invalidateQueries({ queryKey: ['devices'] }),
        qc.invalidateQueries({ queryKey: ['counts'] }),
      ]);
      focusRowById(tableTestId, nextId);
    },
  });

  const byId = (id: string) => rows.find((d) => d.id === id);

  const accept = (id: string, nextId?: string) => {
    const device = byId(id);
    if (!device || decide.isPending) return;
    decide.mutate(
      { device, status: 'accepted', nextId },
      {
        onError: (e) =>
          notifications.show({
            color: 'red',
            title: `Could not accept ${formatIdentity(device.identity_data)}`,
            message: describeError(e),
          }),
      },
    );
  };

  const askReject = (id: string, nextId?: string) => {
    const device = byId(id);
    if (device) {
      decide.reset();
      focusAfter.current = id;
      setRejecting({ device, nextId });
    }
  };

  const dialog = (
    <Modal
      opened={rejecting !== null}
      onClose={() => setRejecting(null)}
      title="Reject this device?"
      centered
      returnFocus={false}
      onExitTransitionEnd={() => focusRowById(tableTestId, focusAfter.current)}
      data-testid="row-reject-dialog"
    >
      {rejecting ? (
        <Stack>
          <Text size="sm">
            <b>{formatIdentity(rejecting.device.identity_data)}</b> will not be let in with this key. It is
            listed under Rejected, and you can still accept the key later from the device's page.
          </Text>
          <ErrorNote error={decide.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRejecting(null)}>
              Cancel
            </Button>
            <Button
              color="red"
              data-autofocus
              loading={decide.isPending}
              data-testid="row-reject-confirm"
              onClick={() =>
                decide.mutate(
                  { device: rejecting.device, status: 'rejected', nextId: rejecting.nextId },
                  {
                    onSuccess: () => {
                      focusAfter.current = rejecting.nextId;
                      setRejecting(null);
                    },
                  },
                )
              }
            >
              Reject
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  );

  const busyId = decide.isPending ? decide.variables?.device.id : undefined;
  return { accept, askReject, dialog, busyId };
};
