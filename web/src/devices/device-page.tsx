import {
  Alert,
  Anchor,
  Code,
  CopyButton,
  Group,
  SimpleGrid,
  Stack,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { formatAgo, formatIdentity, formatTime } from '../shared/format';
import { Field, Section } from '../shared/section';
import { ConfirmButton, ErrorNote, Loading, PageTitle } from '../shared/ui';
import { PendingReasonBadge, StatusBadge } from './badges';
import { DeviceAdmission } from './device-admission';
import { DeviceAudit } from './device-audit';
import { DeviceAuthSets } from './device-authsets';
import { DeviceDeployments } from './device-deployments';
import { DeviceInventory } from './device-inventory';
import { DeviceLabels } from './device-labels';
import { type Device, devicePath, keys } from './devices-api';
import { useFingerprint } from './fingerprint';

const Summary = ({ device }: { device: Device }) => (
  <Section title="Device" testId="device-summary">
    <Stack gap={6}>
      <Field label="Status">
        <Group gap="xs">
          <StatusBadge status={device.status} testId="device-status" />
          {device.decommissioning ? (
            <Text size="xs" c="red">
              being decommissioned
            </Text>
          ) : null}
        </Group>
      </Field>
      {device.pending_reason ? (
        <Field label="Why pending">
          <PendingReasonBadge device={device} />
        </Field>
      ) : null}
      <Field label="Identity">
        <Stack gap={0}>
          {Object.entries(device.identity_data).map(([k, v]) => (
            <Text key={k} size="sm">
              <Text span c="dimmed" size="sm">
                {k}
              </Text>{' '}
              <Text span ff="monospace" size="sm">
                {Array.isArray(v) ? v.join(', ') : String(v)}
              </Text>
            </Text>
          ))}
        </Stack>
      </Field>
      <Field label="Device id">
        <CopyButton value={device.id}>
          {({ copied, copy }) => (
            <UnstyledButton onClick={copy} title="Copy the device id" aria-label="Copy the device id">
              <Code data-testid="device-id">{device.id}</Code>{' '}
              <Text span size="xs" c={copied ? 'teal' : 'dimmed'}>
                {copied ? 'copied' : 'copy'}
              </Text>
            </UnstyledButton>
          )}
        </CopyButton>
      </Field>
      <Field label="First seen">
        <span title={formatTime(device.created_ts)}>{formatTime(device.created_ts)}</span>
      </Field>
      <Field label="Last check-in">
        <span title={formatTime(device.check_in_time)} data-testid="device-checkin">
          {device.check_in_time
            ? `${formatAgo(device.check_in_time)} (${formatTime(device.check_in_time)})`
            : 'never'}
        </span>
      </Field>
    </Stack>
  </Section>
);

/** After a preauthorization: the key to expect, so the operator can compare it with the device. */
const PreauthorizedNote = ({ device }: { device: Device }) => {
  const a = [...device.auth_sets]
    .filter((x) => x.status === 'preauthorized')
    .sort((x, y) => y.ts.localeCompare(x.ts))[0];
  const fp = useFingerprint(a);
  return (
    <Alert color="blue" mb="md" title="Preauthorized" data-testid="preauthorized-note">
      The device is admitted at its first auth request with exactly this identity and key
      {fp ? (
        <>
          {' '}
          (SHA-256 <Code data-testid="preauthorized-fingerprint">{fp}</Code>)
        </>
      ) : null}
      .
    </Alert>
  );
};

export default function DevicePage() {
  const { id = '' } = useParams();
  const { canWrite } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const qc = useQueryClient();
  const device = useQuery({
    queryKey: keys.device(id),
    queryFn: () => api<Device>(devicePath(id)),
  });

  const decommission = async () => {
    await api(devicePath(id), { method: 'DELETE' });
    // void: navigate() returns nothing under BrowserRouter (the Promise is for data routers).
    void navigate(`/devices?status=${device.data?.status ?? 'accepted'}`);
    notifications.show({
      color: 'green',
      message: `Decommissioned ${formatIdentity(device.data?.identity_data)}.`,
    });
    qc.removeQueries({ queryKey: ['device', id] });
    void qc.invalidateQueries({ queryKey: ['devices'] });
    void qc.invalidateQueries({ queryKey: ['counts'] });
  };

  if (device.isPending) return <Loading label="Loading the device…" />;
  if (device.error) {
    const gone = device.error instanceof ApiError && device.error.status === 404;
    return (
      <>
        <PageTitle>Device</PageTitle>
        {gone ? (
          <Alert color="gray" title="No such device" data-testid="device-not-found">
            There is no device <Code>{id}</Code> in this tenant: it may have been decommissioned or dismissed.{' '}
            <Anchor component={Link} to="/devices">
              Back to the devices
            </Anchor>
          </Alert>
        ) : (
          <ErrorNote error={device.error} title="The device could not be loaded" />
        )}
      </>
    );
  }
  const d = device.data;
  const preauthorized = (location.state as { preauthorized?: boolean } | null)?.preauthorized === true;
  return (
    <>
      <Text size="sm" mb={4}>
        <Anchor component={Link} to={`/devices?status=${d.status}`} size="sm">
          ← Devices
        </Anchor>
      </Text>
      <PageTitle
        actions={
          canWrite ? (
            <ConfirmButton
              label="Decommission"
              title="Decommission this device?"
              message={`${formatIdentity(d.identity_data)}: the device, its keys, tokens and inventory are deleted at once. It can only come back as a new pending device. This cannot be undone.`}
              confirmLabel="Decommission"
              testId="device-decommission"
              onConfirm={decommission}
            />
          ) : null
        }
      >
        <span style={{ wordBreak: 'break-word' }}>{formatIdentity(d.identity_data)}</span>
      </PageTitle>
      {preauthorized ? <PreauthorizedNote device={d} /> : null}
      <Stack gap="md">
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
          <Summary device={d} />
          <Stack gap="md">
            <DeviceLabels id={d.id} />
            <DeviceAdmission device={d} />
          </Stack>
        </SimpleGrid>
        <DeviceAuthSets device={d} />
        <DeviceDeployments id={d.id} />
        <SimpleGrid cols={{ base: 1, xl: 2 }} spacing="md">
          <DeviceInventory id={d.id} />
          <DeviceAudit id={d.id} />
        </SimpleGrid>
      </Stack>
    </>
  );
}
