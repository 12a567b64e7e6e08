import { Code, Modal, ScrollArea, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api } from '../shared/api';
import { ErrorNote, Loading } from '../shared/ui';
import { deploymentPath } from './deployment-api';

/** The deployment log a device sent (Mender clients send it when an update fails). */
export const DeviceLogModal = ({
  deploymentId,
  deviceId,
  onClose,
}: {
  deploymentId: string;
  deviceId: string | null;
  onClose: () => void;
}) => {
  const log = useQuery({
    queryKey: ['deployment', deploymentId, 'log', deviceId],
    queryFn: () =>
      api<string>(`${deploymentPath(deploymentId)}/devices/${encodeURIComponent(deviceId ?? '')}/log`, {
        headers: { Accept: 'text/plain' },
      }),
    enabled: deviceId !== null,
  });
  return (
    <Modal
      opened={deviceId !== null}
      onClose={onClose}
      title={`Deployment log of device ${deviceId ?? ''}`}
      size="xl"
      fullScreen={false}
    >
      <ErrorNote error={log.error} title="Cannot show the log" />
      {log.isPending ? (
        <Loading />
      ) : log.data ? (
        <ScrollArea.Autosize mah="65vh" type="auto">
          <Code block data-testid="device-log" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
            {String(log.data)}
          </Code>
        </ScrollArea.Autosize>
      ) : log.error ? null : (
        <Text size="sm" c="dimmed">
          The log is empty.
        </Text>
      )}
    </Modal>
  );
};
