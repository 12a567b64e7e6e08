import { Alert, Button, Group, NumberInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatAgo, formatTime } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { CopyBlock, CopyValue } from './copy-block';
import { type CreatedCredential, type EnrollmentCredential, PKI, pkiKeys } from './pki-api';

const CreateCredential = ({ onCreated }: { onCreated: (c: CreatedCredential) => void }) => {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [maxUses, setMaxUses] = useState<number | string>('');
  const create = useMutation({
    mutationFn: () =>
      api<CreatedCredential>(`${PKI}/enrollment-credentials`, {
        method: 'POST',
        body: {
          name: name.trim(),
          ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
          ...(typeof maxUses === 'number' ? { max_uses: maxUses } : {}),
        },
      }),
    onSuccess: (c) => {
      onCreated(c);
      setName('');
      setExpires('');
      setMaxUses('');
      void qc.invalidateQueries({ queryKey: pkiKeys.credentials });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Create an enrollment credential">
      <Stack gap="xs">
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput
            label="Name (HTTP Basic user)"
            placeholder="line-1"
            required
            maxLength={64}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid="credential-name"
          />
          <TextInput
            label="Expires"
            description="Optional"
            type="datetime-local"
            value={expires}
            onChange={(e) => setExpires(e.currentTarget.value)}
            data-testid="credential-expires"
          />
          <NumberInput
            label="Maximum uses"
            description="Optional"
            min={1}
            max={10_000_000}
            allowDecimal={false}
            value={maxUses}
            onChange={setMaxUses}
            data-testid="credential-max-uses"
          />
        </SimpleGrid>
        <ErrorNote error={create.error} title="The credential was not created" />
        <Group justify="flex-end">
          <Button
            type="submit"
            loading={create.isPending}
            disabled={!name.trim()}
            data-testid="credential-submit"
          >
            Create credential
          </Button>
        </Group>
      </Stack>
    </form>
  );
};

/** The secret of a credential just created: shown here once, with how devices use it. */
const CreatedSecret = ({ cred, onDismiss }: { cred: CreatedCredential; onDismiss: () => void }) => {
  const { me } = useAuth();
  const est = `${window.location.origin}/.well-known/est/${me?.tenant?.id ?? '<tenant id>'}`;
  return (
    <Alert
      styles={{ body: { minWidth: 0 } }}
      color="yellow"
      title={`Secret of “${cred.name}”: copy it now, it is not shown again`}
      withCloseButton
      onClose={onDismiss}
    >
      <Stack gap="xs">
        <Group gap="xs" wrap="wrap">
          <Text ff="monospace" size="sm" data-testid="credential-secret" style={{ wordBreak: 'break-all' }}>
            {cred.secret}
          </Text>
          <CopyValue value={cred.secret} testId="credential-secret-copy" />
        </Group>
        <CopyBlock
          label="A device enrolls with it"
          text={`curl -u '${cred.name}:${cred.secret}' -H 'Content-Type: application/pkcs10' \\\n  --data-binary @device.b64 ${est}/simpleenroll | base64 -d | \\\n  openssl pkcs7 -inform DER -print_certs > device.crt`}
        />
      </Stack>
    </Alert>
  );
};

/** EST enrollment credentials (HTTP Basic name + secret): create (secret shown once), list, delete. */
export const EnrollmentCredentials = () => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const [created, setCreated] = useState<CreatedCredential | null>(null);
  const creds = useQuery({
    queryKey: pkiKeys.credentials,
    queryFn: () => api<EnrollmentCredential[]>(`${PKI}/enrollment-credentials`),
  });
  const columns: Column<EnrollmentCredential>[] = [
    { key: 'name', header: 'Name', render: (c) => <Text fw={500}>{c.name}</Text> },
    {
      key: 'uses',
      header: 'Uses',
      render: (c) => (c.max_uses === null ? String(c.uses) : `${c.uses} of ${c.max_uses}`),
    },
    { key: 'expires', header: 'Expires', render: (c) => (c.expires_at ? formatTime(c.expires_at) : 'never') },
    { key: 'last', header: 'Last used', wide: true, render: (c) => formatAgo(c.last_used_at) },
    { key: 'created', header: 'Created', wide: true, render: (c) => formatTime(c.created_at) },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: 'Actions',
            render: (c: EnrollmentCredential) => (
              <ConfirmButton
                label="Delete"
                size="compact-sm"
                title="Delete this credential"
                confirmLabel="Delete"
                testId={`credential-delete-${c.id}`}
                message={`Devices can no longer enroll with “${c.name}”. Certificates already issued stay valid.`}
                onConfirm={async () => {
                  await api(`${PKI}/enrollment-credentials/${c.id}`, { method: 'DELETE' });
                  await qc.invalidateQueries({ queryKey: pkiKeys.credentials });
                }}
              />
            ),
          },
        ]
      : []),
  ];
  return (
    <Stack>
      <div>
        <Title order={2} fz="h4">
          EST enrollment credentials
        </Title>
        <Text size="sm" c="dimmed">
          A name and secret (HTTP Basic) with which devices get their first certificate over EST. Secrets are
          stored hashed: you see one only when you create it.
        </Text>
      </div>
      {created ? <CreatedSecret cred={created} onDismiss={() => setCreated(null)} /> : null}
      {canWrite ? <CreateCredential onCreated={setCreated} /> : null}
      <ErrorNote error={creds.error} title="Cannot list the credentials" />
      {creds.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={creds.data ?? []}
          columns={columns}
          rowKey={(c) => c.id}
          testId="credentials-table"
          label="Enrollment credentials"
          empty="No enrollment credential yet. Create one for a production line or a batch of devices."
        />
      )}
    </Stack>
  );
};
