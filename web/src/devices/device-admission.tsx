import { Anchor, Badge, Code, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ApiError, api } from '../shared/api';
import { formatTime } from '../shared/format';
import { Field, Section } from '../shared/section';
import { ErrorNote, Loading } from '../shared/ui';
import { type Device, keys, REGISTRATIONS_PATH, type Registration } from './devices-api';
import { useTenantId } from './tenant-id';

/** The enrollment record, or null when the device was not admitted by certificate (404). */
const useRegistration = (id: string) =>
  useQuery({
    queryKey: keys.registration(id),
    queryFn: async () => {
      try {
        return await api<Registration>(`${REGISTRATIONS_PATH}/${encodeURIComponent(id)}`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
    },
  });

const Enrollment = ({ id }: { id: string }) => {
  const reg = useRegistration(id);
  if (reg.isPending) return <Loading />;
  if (reg.error) return <ErrorNote error={reg.error} title="The enrollment record could not be loaded" />;
  const r = reg.data;
  if (!r)
    return (
      <Text size="sm" c="dimmed" data-testid="device-enrollment">
        Not admitted by certificate: the device authenticates with its key alone.
      </Text>
    );
  return (
    <Stack gap={4} data-testid="device-enrollment">
      <Field label="Registration id">
        <Code>{r.registration_id}</Code>
      </Field>
      <Field label="Certificate">
        <Text size="sm" style={{ wordBreak: 'break-word' }}>
          {r.certificate.subject}
        </Text>
      </Field>
      <Field label="Serial">
        <Code>{r.certificate.serial}</Code>
      </Field>
      <Field label="Cert SHA-256">
        <Code
          style={{ wordBreak: 'break-all', whiteSpace: 'normal' }}
          data-testid="enrollment-cert-fingerprint"
        >
          {r.certificate.fingerprint}
        </Code>
      </Field>
      <Field label="Valid until">{formatTime(r.certificate.not_after)}</Field>
      <Field label="Issued by CA">
        <Anchor component={Link} to={`/certificates/cas/${r.ca_id}`} size="sm" ff="monospace">
          {r.ca_id}
        </Anchor>
      </Field>
      <Field label="Enrollment">
        <Anchor component={Link} to="/enrollment" size="sm">
          {r.individual_enrollment_id
            ? `individual enrollment ${r.individual_enrollment_id}`
            : r.enrollment_group_id
              ? `enrollment group ${r.enrollment_group_id}`
              : 'see enrollments'}
        </Anchor>
      </Field>
      <Field label="Admitted">{formatTime(r.created_at)}</Field>
    </Stack>
  );
};

interface BootstrapConfig {
  client_id: string;
  external_id: string;
  name?: string;
  /** Magistrala's state: 1 = connected to its channels. */
  state: number;
  /** Held: the device routes refuse it. */
  held: boolean;
  channels: { id: string; name?: string; connected: boolean }[];
  device_id?: string;
  updated_at: string;
}

/**
 * The external ids an unlinked bootstrap config of the device may be filed under: its enrollment
 * registration id (configs made at admission use it), its identity attribute values and its id.
 */
const candidatesOf = (device: Device, registrationId: string | undefined): string[] => {
  const out = new Set<string>();
  if (registrationId) out.add(registrationId);
  for (const v of Object.values(device.identity_data)) if (typeof v === 'string' && v) out.add(v);
  out.add(device.id);
  return [...out].slice(0, 8);
};

/**
 * The device's bootstrap configs: the ones linked to it (filter device_id), else the unlinked
 * ones whose external id is one of its names (one small request each).
 */
const Bootstrap = ({ device }: { device: Device }) => {
  const tenant = useTenantId();
  const reg = useRegistration(device.id);
  const candidates = candidatesOf(device, reg.data?.registration_id);
  const configs = useQuery({
    queryKey: [...keys.bootstrap(device.id), tenant, candidates],
    enabled: tenant !== null && !reg.isPending,
    queryFn: async () => {
      const path = `/bootstrap/${encodeURIComponent(tenant ?? '')}/clients/configs`;
      const list = (query: Record<string, string | number>) =>
        api<{ configs: BootstrapConfig[] }>(path, { query }).then((r) => r.configs ?? []);
      const linked = (await list({ device_id: device.id, limit: 10 })).filter(
        (c) => c.device_id === device.id,
      );
      if (linked.length) return linked;
      const named = await Promise.all(candidates.map((external_id) => list({ external_id, limit: 10 })));
      return named.flat().filter((c) => !c.device_id && candidates.includes(c.external_id));
    },
  });
  if (reg.isPending || (configs.isPending && configs.fetchStatus !== 'idle')) return <Loading />;
  if (configs.error)
    return <ErrorNote error={configs.error} title="The bootstrap config could not be looked up" />;
  const found = configs.data ?? [];
  if (found.length === 0)
    return (
      <Text size="sm" c="dimmed" data-testid="device-bootstrap">
        No bootstrap config for this device.{' '}
        <Anchor component={Link} to="/bootstrap" size="sm">
          Bootstrap configs
        </Anchor>
      </Text>
    );
  return (
    <Stack gap={6} data-testid="device-bootstrap">
      {found.map((c) => (
        <Stack key={c.client_id} gap={2}>
          <Field label="Config">
            <Anchor
              component={Link}
              to={`/bootstrap?external_id=${encodeURIComponent(c.external_id)}`}
              size="sm"
              data-testid="device-bootstrap-link"
            >
              {c.name || c.external_id}
            </Anchor>{' '}
            <Badge
              size="xs"
              variant="light"
              color={c.state === 1 ? 'green' : 'gray'}
              data-testid="device-bootstrap-state"
            >
              {c.state === 1 ? 'connected' : 'disconnected'}
            </Badge>
            <Badge
              size="xs"
              variant="light"
              color={c.held ? 'orange' : 'green'}
              ml={4}
              data-testid="device-bootstrap-held"
            >
              {c.held ? 'held' : 'delivers'}
            </Badge>
            {c.device_id === device.id ? (
              <Badge size="xs" variant="outline" ml={4}>
                linked
              </Badge>
            ) : null}
          </Field>
          <Field label="External id">
            <Code>{c.external_id}</Code>
          </Field>
          <Field label="Channels">
            {c.channels.length === 0
              ? 'none'
              : c.channels.map((ch) => `${ch.name || ch.id}${ch.connected ? ' (connected)' : ''}`).join(', ')}
          </Field>
        </Stack>
      ))}
    </Stack>
  );
};

/** How the device got in: the certificate and enrollment that admitted it, and its bootstrap config. */
export const DeviceAdmission = ({ device }: { device: Device }) => (
  <Section title="Certificate and bootstrap" testId="device-admission">
    <Stack gap="sm">
      <Enrollment id={device.id} />
      <Bootstrap device={device} />
    </Stack>
  </Section>
);
