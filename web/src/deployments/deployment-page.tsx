import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading, PageTitle } from '../shared/ui';
import {
  type DeviceDeployment,
  deploymentPath,
  FINISHED_STATUSES,
  STATUS_COLORS,
  statusLabel,
  useDeployment,
  useDeploymentDevices,
} from './deployment-api';
import { DeploymentProgress } from './deployment-progress';
import { DeploymentStatusBadge } from './deployment-status-badge';
import { DeviceLogModal } from './device-log-modal';

const PER_PAGE = 50;

const Field = ({ label, children }: { label: string; children: ReactNode }) => (
  <div>
    <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
      {label}
    </Text>
    <div>{children}</div>
  </div>
);

export default function DeploymentPage() {
  const { id = '' } = useParams();
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const deployment = useDeployment(id);
  const live = deployment.data !== undefined && deployment.data.status !== 'finished';
  const [page, setPage] = useState(1);
  const version = deployment.data
    ? `${deployment.data.status}:${Object.values(deployment.data.statistics.status).join(',')}`
    : '';
  const devices = useDeploymentDevices(id, live, version, page, PER_PAGE);
  const [logOf, setLogOf] = useState<string | null>(null);

  if (deployment.isPending) return <Loading />;
  if (deployment.error || !deployment.data)
    return (
      <>
        <PageTitle>Deployment</PageTitle>
        <ErrorNote error={deployment.error} title="Cannot show this deployment" />
        <Anchor component={Link} to="/deployments" mt="md" display="inline-block">
          Back to deployments
        </Anchor>
      </>
    );
  const d = deployment.data;

  const abort = async () => {
    await api(`${deploymentPath(d.id)}/status`, { method: 'PUT', body: { status: 'aborted' } });
    notifications.show({ color: 'orange', message: `Deployment ${d.name} aborted` });
    void qc.invalidateQueries({ queryKey: ['deployment', d.id] });
    void qc.invalidateQueries({ queryKey: ['deployments'] });
  };

  const columns: Column<DeviceDeployment>[] = [
    {
      key: 'device',
      header: 'Device',
      render: (r) => (
        <Anchor
          component={Link}
          to={`/devices/${encodeURIComponent(r.id)}`}
          ff="monospace"
          size="sm"
          style={{ whiteSpace: 'nowrap' }}
        >
          {r.id}
        </Anchor>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      render: (r) => (
        <Group gap={6} wrap="nowrap">
          <Badge
            color={STATUS_COLORS[r.status] ?? 'gray'}
            variant={FINISHED_STATUSES.has(r.status) ? 'filled' : 'light'}
            tt="none"
            title={statusLabel(r.status)}
            style={{ minWidth: 'max-content' }}
          >
            <span data-testid="device-deployment-status">{r.status}</span>
          </Badge>
          {r.substate ? (
            <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
              {r.substate}
            </Text>
          ) : null}
        </Group>
      ),
    },
    { key: 'type', header: 'Device type', render: (r) => r.device_type ?? '—', wide: true },
    { key: 'started', header: 'Started', render: (r) => formatTime(r.started), wide: true },
    { key: 'finished', header: 'Finished', render: (r) => formatTime(r.finished), wide: true },
    {
      key: 'log',
      header: 'Log',
      render: (r) =>
        r.log ? (
          <Button
            size="compact-sm"
            variant="light"
            onClick={() => setLogOf(r.id)}
            data-testid="device-log-open"
          >
            View log
          </Button>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        ),
    },
  ];

  const total = devices.data?.total ?? null;
  return (
    <>
      <Anchor component={Link} to="/deployments" size="sm">
        ← Deployments
      </Anchor>
      <PageTitle
        actions={
          canWrite && d.status !== 'finished' ? (
            <ConfirmButton
              label="Abort"
              title="Abort deployment"
              message={
                <>
                  Abort <b>{d.name}</b>? Devices that have not started it will not get it; a device in the
                  middle of the update is told so at its next status report and stops. Devices already
                  finished keep what they installed. This cannot be undone.
                </>
              }
              confirmLabel="Abort deployment"
              onConfirm={abort}
              testId="deployment-abort"
            />
          ) : null
        }
      >
        <span data-testid="deployment-title">{d.name}</span>
      </PageTitle>
      <Stack gap="md">
        <Card withBorder>
          <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
            <Field label="Status">
              <Group gap={6}>
                <DeploymentStatusBadge status={d.status} />
                {live ? (
                  <Text size="xs" c="dimmed">
                    updating live
                  </Text>
                ) : null}
              </Group>
            </Field>
            <Field label="Release">
              <Anchor component={Link} to={`/releases?name=${encodeURIComponent(d.artifact_name)}`}>
                {d.artifact_name}
              </Anchor>
            </Field>
            <Field label="Created">{formatTime(d.created)}</Field>
            <Field label="Finished">{formatTime(d.finished)}</Field>
            <Field label="Devices">
              {d.max_devices}
              <Text span size="sm" c="dimmed">
                {' '}
                ({d.device_count} started)
              </Text>
            </Field>
            <Field label="Targets">
              {d.groups && d.groups.length > 0 ? `group ${d.groups.join(', ')}` : 'listed devices'}
            </Field>
            <Field label="Force installation">{d.force_installation ? 'yes' : 'no'}</Field>
            <Field label="Deployment id">
              <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                {d.id}
              </Text>
            </Field>
          </SimpleGrid>
        </Card>
        <Card withBorder>
          <Title order={2} fz="h5" mb="xs">
            Progress
          </Title>
          <DeploymentProgress stats={d.statistics.status} total={d.max_devices} legend size="xl" />
        </Card>
        <Card withBorder>
          <Title order={2} fz="h5" mb="xs">
            Devices
          </Title>
          <ErrorNote error={devices.error} title="Cannot list the devices of this deployment" />
          {devices.isPending ? (
            <Loading />
          ) : (
            <DataTable
              rows={devices.data?.items ?? []}
              columns={columns}
              rowKey={(r) => r.id}
              testId="deployment-devices-table"
              label="Devices of this deployment"
              empty="This deployment has no devices."
              page={page}
              pages={total === null ? undefined : Math.max(1, Math.ceil(total / PER_PAGE))}
              onPage={setPage}
            />
          )}
        </Card>
      </Stack>
      <DeviceLogModal deploymentId={d.id} deviceId={logOf} onClose={() => setLogOf(null)} />
    </>
  );
}
