import {
  Anchor,
  Button,
  Card,
  Checkbox,
  Group,
  NativeSelect,
  Radio,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useReleases } from '../releases/artifact-api';
import { api, apiRaw } from '../shared/api';
import { useAuth } from '../shared/auth';
import { ErrorNote, Loading, PageTitle } from '../shared/ui';
import { DEPLOYMENTS_PATH } from './deployment-api';
import { DevicePicker } from './device-picker';

const GROUPS_PATH = '/api/management/v1/inventory/groups';

type Target = 'devices' | 'group' | 'all';

export default function CreateDeploymentPage() {
  const { canWrite } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const releases = useReleases();
  const groups = useQuery({
    queryKey: ['devices', 'groups', 'accepted'],
    queryFn: () => api<string[]>(GROUPS_PATH, { query: { status: 'accepted' } }),
  });

  const prefilled = useMemo(
    () =>
      new Set(
        (params.get('devices') ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    [params],
  );
  const [name, setName] = useState('');
  const [artifact, setArtifact] = useState(params.get('artifact') ?? '');
  const [target, setTarget] = useState<Target>(params.get('group') ? 'group' : 'devices');
  const [devices, setDevices] = useState<Set<string>>(prefilled);
  const [group, setGroup] = useState(params.get('group') ?? '');
  const [force, setForce] = useState(false);

  const create = useMutation({
    mutationFn: async () => {
      const body: Record<string, unknown> = {
        name: name.trim(),
        artifact_name: artifact,
        ...(force ? { force_installation: true } : {}),
      };
      const r =
        target === 'group'
          ? await apiRaw(`${DEPLOYMENTS_PATH}/group/${encodeURIComponent(group)}`, { method: 'POST', body })
          : await apiRaw(DEPLOYMENTS_PATH, {
              method: 'POST',
              body: target === 'all' ? { ...body, all_devices: true } : { ...body, devices: [...devices] },
            });
      const location = r.headers.get('location') ?? '';
      return decodeURIComponent(location.split('/').pop() ?? '');
    },
    onSuccess: (id) => {
      notifications.show({ color: 'green', title: 'Deployment created', message: name.trim() });
      void qc.invalidateQueries({ queryKey: ['deployments'] });
      // void: navigate() returns nothing under BrowserRouter (the Promise is for data routers).
      void navigate(id ? `/deployments/${encodeURIComponent(id)}` : '/deployments');
    },
  });

  if (!canWrite)
    return (
      <>
        <PageTitle>New deployment</PageTitle>
        <Text>Only administrators can create deployments.</Text>
      </>
    );

  const names = (releases.data ?? []).map((r) => r.name).sort((a, b) => a.localeCompare(b));
  const ready =
    name.trim() !== '' &&
    artifact !== '' &&
    (target === 'all' || (target === 'devices' ? devices.size > 0 : group !== ''));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) create.mutate();
  };

  return (
    <>
      <Anchor component={Link} to="/deployments" size="sm">
        ← Deployments
      </Anchor>
      <PageTitle>New deployment</PageTitle>
      <form onSubmit={submit} aria-label="New deployment">
        <Stack gap="md" maw={900}>
          <Card withBorder>
            <Stack gap="sm">
              <TextInput
                label="Name"
                required
                maxLength={256}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                data-testid="deployment-name"
                placeholder="e.g. Spring update, lab devices"
              />
              <ErrorNote error={releases.error} title="Cannot list releases" />
              {releases.isPending ? (
                <Loading label="Loading releases…" />
              ) : names.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No releases yet.{' '}
                  <Anchor component={Link} to="/releases">
                    Upload an artifact
                  </Anchor>{' '}
                  first.
                </Text>
              ) : (
                <NativeSelect
                  label="Release"
                  description="Each device gets the artifact of this release that matches its device type."
                  required
                  value={artifact}
                  onChange={(e) => setArtifact(e.currentTarget.value)}
                  data={[{ value: '', label: 'Choose a release…', disabled: true }, ...names]}
                  data-testid="deployment-artifact"
                />
              )}
              <Checkbox
                label="Force installation (also devices that already run this release)"
                checked={force}
                onChange={(e) => setForce(e.currentTarget.checked)}
                data-testid="deployment-force"
              />
            </Stack>
          </Card>
          <Card withBorder>
            <Radio.Group label="Devices to update" value={target} onChange={(v) => setTarget(v as Target)}>
              <Stack gap="xs" mt="xs">
                <Radio value="devices" label="Devices I choose" data-testid="deployment-target-devices" />
                <Radio value="group" label="A group" data-testid="deployment-target-group" />
                <Radio
                  value="all"
                  label="All accepted devices (those accepted now)"
                  data-testid="deployment-target-all"
                />
              </Stack>
            </Radio.Group>
            <div style={{ marginTop: 'var(--mantine-spacing-md)' }}>
              {target === 'devices' ? <DevicePicker selected={devices} onChange={setDevices} /> : null}
              {target === 'group' ? (
                <>
                  <ErrorNote error={groups.error} title="Cannot list groups" />
                  {groups.isPending ? (
                    <Loading label="Loading groups…" />
                  ) : (groups.data ?? []).length === 0 ? (
                    <Text size="sm" c="dimmed">
                      No group has accepted devices. Put devices into a group on the Devices screen.
                    </Text>
                  ) : (
                    <NativeSelect
                      label="Group"
                      description="Its accepted devices now are deployed to; devices added later are not."
                      required
                      value={group}
                      onChange={(e) => setGroup(e.currentTarget.value)}
                      data={[{ value: '', label: 'Choose a group…', disabled: true }, ...(groups.data ?? [])]}
                      data-testid="deployment-group"
                    />
                  )}
                </>
              ) : null}
              {target === 'all' ? (
                <Text size="sm" c="dimmed">
                  Every device accepted at this moment gets the deployment; devices accepted later do not.
                </Text>
              ) : null}
            </div>
          </Card>
          <ErrorNote error={create.error} title="The deployment was not created" />
          <Group>
            <Button
              type="submit"
              disabled={!ready}
              loading={create.isPending}
              data-testid="deployment-submit"
            >
              Create deployment
            </Button>
            <Button variant="default" component={Link} to="/deployments">
              Cancel
            </Button>
          </Group>
        </Stack>
      </form>
    </>
  );
}
