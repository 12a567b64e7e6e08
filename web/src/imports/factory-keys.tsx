import { Badge, Button, Code, Group, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { PemInput } from '../certificates/pem-input';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime, shortFingerprint } from '../shared/format';
import { Section } from '../shared/section';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { FACTORIES_PATH, type Factory, factoryPath, keys, useFactories } from './imports-api';

const RegisterFactory = () => {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [pem, setPem] = useState('');
  const register = useMutation({
    mutationFn: () => api<Factory>(FACTORIES_PATH, { body: { name: name.trim(), public_key: pem.trim() } }),
    onSuccess: (f) => {
      notifications.show({
        color: 'green',
        title: 'Factory key registered',
        message: `Manifests signed by ${f.name} can be imported now.`,
      });
      setName('');
      setPem('');
      void qc.invalidateQueries({ queryKey: keys.factories });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && pem.trim()) register.mutate();
  };
  return (
    <Section title="Register a factory key" testId="factory-register-section">
      <form onSubmit={submit}>
        <Stack gap="sm" maw={760}>
          <Text size="sm" c="dimmed">
            The public key a factory station signs its manifests with (Ed25519, ECDSA P-256/P-384 or RSA).{' '}
            <Code fz="xs">gatehouse factories new-key --out factory.pem</Code> makes a key pair offline and
            writes this public key to <Code fz="xs">factory.pem.pub</Code>; the private key stays at the
            station.
          </Text>
          <TextInput
            label="Name"
            description="The station or line, as operators will know it"
            required
            maxLength={128}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid="factory-name"
          />
          <PemInput
            label="Public key (PEM)"
            derLabel="PUBLIC KEY"
            value={pem}
            onChange={setPem}
            required
            minRows={4}
            testId="factory-public-key"
          />
          <ErrorNote error={register.error} title="The key was not registered" />
          <Group>
            <Button
              type="submit"
              loading={register.isPending}
              disabled={!name.trim() || !pem.trim()}
              data-testid="factory-register"
            >
              Register
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
};

/** The factory keys of the tenant: manifests must be signed by an enabled one to be imported. */
export const FactoryKeys = () => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const factories = useFactories();
  const columns: Column<Factory>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (f) => (
        <Text size="sm" fw={500} data-testid="factory-row-name">
          {f.name}
        </Text>
      ),
    },
    { key: 'type', header: 'Key type', render: (f) => f.key_type },
    {
      key: 'fingerprint',
      header: 'SHA-256',
      wide: true,
      render: (f) => (
        <Code fz="xs" title={f.fingerprint}>
          {shortFingerprint(f.fingerprint)}
        </Code>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      render: (f) => (
        <Badge color={f.enabled ? 'green' : 'gray'} variant="light" data-testid="factory-status">
          {f.enabled ? 'enabled' : 'disabled'}
        </Badge>
      ),
    },
    {
      key: 'created',
      header: 'Registered',
      wide: true,
      render: (f) => (f.enabled ? formatTime(f.created_ts) : `disabled ${formatTime(f.disabled_ts)}`),
    },
    {
      key: 'actions',
      header: '',
      render: (f) =>
        canWrite && f.enabled ? (
          <ConfirmButton
            label="Disable"
            size="compact-sm"
            title={`Disable ${f.name}?`}
            confirmLabel="Disable the key"
            message="Manifests signed by this key are refused from now on (dry runs too). Devices it brought in stay as they are, and keep naming it. This cannot be undone: to trust the station again, register a new key."
            onConfirm={async () => {
              await api(`${factoryPath(f.id)}/disable`, { method: 'POST' });
              await qc.invalidateQueries({ queryKey: keys.factories });
            }}
            testId="factory-disable"
          />
        ) : null,
    },
  ];
  return (
    <Stack gap="md">
      <ErrorNote error={factories.error} title="The factory keys could not be loaded" />
      {factories.isPending ? (
        <Loading label="Loading factory keys…" />
      ) : (
        <DataTable
          rows={factories.data ?? []}
          columns={columns}
          rowKey={(f) => f.id}
          testId="factories-table"
          label="Factory keys"
          empty="No factory key yet. Register the key of each station that signs manifests."
        />
      )}
      {canWrite ? <RegisterFactory /> : null}
    </Stack>
  );
};
