import { Anchor, Badge, Button, Code, Modal, ScrollArea, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api } from '../shared/api';
import { DataTable } from '../shared/data-table';
import { formatAgo, formatTime } from '../shared/format';
import { Section } from '../shared/section';
import { ErrorNote, Loading } from '../shared/ui';
import { DEPLOYMENTS, keys } from './devices-api';

/**
 * One entry of a device's deployment history (Mender's shape: the deployment, and the device's
 * state in it). Read tolerantly: a flat entry is taken as both.
 */
interface HistoryEntry {
  id?: string;
  deployment?: { id: string; name?: string; artifact_name?: string; status?: string; created?: string };
  device?: {
    id?: string;
    status?: string;
    substate?: string;
    created?: string;
    started?: string;
    finished?: string;
    log?: boolean;
  };
  name?: string;
  artifact_name?: string;
  status?: string;
  created?: string;
  finished?: string;
  log?: boolean;
}

interface Row {
  key: string;
  deploymentId: string;
  name: string;
  artifact: string;
  status: string;
  substate?: string;
  created?: string;
  finished?: string;
  log: boolean;
}

const toRow = (e: HistoryEntry, i: number): Row => {
  const deploymentId = e.deployment?.id ?? e.id ?? '';
  return {
    key: `${deploymentId}-${i}`,
    deploymentId,
    name: e.deployment?.name ?? e.name ?? deploymentId,
    artifact: e.deployment?.artifact_name ?? e.artifact_name ?? '—',
    status: e.device?.status ?? e.status ?? 'unknown',
    substate: e.device?.substate,
    created: e.device?.created ?? e.deployment?.created ?? e.created,
    finished: e.device?.finished ?? e.finished,
    log: e.device?.log ?? e.log ?? false,
  };
};

const STATUS_COLOR: Record<string, string> = {
  success: 'green',
  'already-installed': 'green',
  failure: 'red',
  aborted: 'gray',
  noartifact: 'gray',
  decommissioned: 'gray',
  pending: 'yellow',
};

const LogModal = ({
  deploymentId,
  deviceId,
  onClose,
}: {
  deploymentId: string;
  deviceId: string;
  onClose: () => void;
}) => {
  const log = useQuery({
    queryKey: ['deployments', 'log', deploymentId, deviceId],
    queryFn: () =>
      api<unknown>(
        `${DEPLOYMENTS}/${encodeURIComponent(deploymentId)}/devices/${encodeURIComponent(deviceId)}/log`,
        {
          headers: { Accept: 'text/plain' },
        },
      ),
  });
  return (
    <Modal opened onClose={onClose} title="Deployment log of the device" size="xl" centered>
      <Stack gap="xs">
        {log.isPending ? <Loading /> : null}
        {log.error instanceof ApiError && log.error.status === 404 ? (
          <Text size="sm">The device has not sent a log for this deployment.</Text>
        ) : (
          <ErrorNote error={log.error} title="The log could not be loaded" />
        )}
        {log.data !== undefined ? (
          <ScrollArea.Autosize mah={480} type="auto">
            <Code block data-testid="deployment-log" fz="xs">
              {typeof log.data === 'string' ? log.data : JSON.stringify(log.data, null, 2)}
            </Code>
          </ScrollArea.Autosize>
        ) : null}
      </Stack>
    </Modal>
  );
};

/** The deployments that reached the device, newest first, with its log for a failed one. */
export const DeviceDeployments = ({ id }: { id: string }) => {
  const [logOf, setLogOf] = useState<string | null>(null);
  const history = useQuery({
    queryKey: keys.deployments(id),
    queryFn: () =>
      api<HistoryEntry[]>(`${DEPLOYMENTS}/devices/${encodeURIComponent(id)}`, { query: { per_page: 50 } }),
  });
  const rows = (Array.isArray(history.data) ? history.data : []).map(toRow);
  return (
    <Section title="Deployments" testId="device-deployments">
      <ErrorNote
        error={
          history.error instanceof ApiError && history.error.status === 404
            ? new Error('This server does not keep a deployment history for the device (404).')
            : history.error
        }
        title="The deployment history could not be loaded"
      />
      {history.isPending ? (
        <Loading />
      ) : history.data ? (
        <DataTable
          rows={rows}
          rowKey={(r) => r.key}
          testId="device-deployments-table"
          label="Deployments of the device"
          empty="No deployment has reached this device yet."
          columns={[
            {
              key: 'name',
              header: 'Deployment',
              render: (r) => (
                <Anchor
                  component={Link}
                  to={`/deployments/${r.deploymentId}`}
                  size="sm"
                  data-testid="device-deployment-link"
                >
                  {r.name}
                </Anchor>
              ),
            },
            { key: 'artifact', header: 'Artifact', render: (r) => <Text size="sm">{r.artifact}</Text> },
            {
              key: 'status',
              header: 'Result here',
              render: (r) => (
                <Badge variant="light" color={STATUS_COLOR[r.status] ?? 'blue'} title={r.substate}>
                  {r.status}
                </Badge>
              ),
            },
            {
              key: 'when',
              header: 'When',
              wide: true,
              render: (r) => (
                <Text
                  size="sm"
                  title={`Created ${formatTime(r.created)}; finished ${formatTime(r.finished)}`}
                >
                  {r.finished ? `finished ${formatAgo(r.finished)}` : `created ${formatAgo(r.created)}`}
                </Text>
              ),
            },
            {
              key: 'log',
              header: 'Log',
              render: (r) =>
                r.log || r.status === 'failure' ? (
                  <Button
                    size="compact-xs"
                    variant="light"
                    color={r.status === 'failure' ? 'red' : 'gray'}
                    onClick={() => setLogOf(r.deploymentId)}
                    data-testid="deployment-log-open"
                  >
                    Read log
                  </Button>
                ) : (
                  <Text size="sm" c="dimmed">
                    —
                  </Text>
                ),
            },
          ]}
        />
      ) : null}
      {logOf ? <LogModal deploymentId={logOf} deviceId={id} onClose={() => setLogOf(null)} /> : null}
    </Section>
  );
};
