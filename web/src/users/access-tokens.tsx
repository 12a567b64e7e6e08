import { Button, Card, Group, NativeSelect, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatAgo, formatTime } from '../shared/format';
import { ShownOnce } from '../shared/shown-once';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { type AccessToken, TOKENS_PATH, useTokens } from './users-api';

const DAY = 86_400;
const EXPIRIES = [
  { value: String(7 * DAY), label: '7 days' },
  { value: String(30 * DAY), label: '30 days' },
  { value: String(90 * DAY), label: '90 days' },
  { value: String(365 * DAY), label: '1 year' },
  { value: '0', label: 'never' },
];

/** Personal access tokens: for scripts and mender-cli, acting as you. */
export const AccessTokens = () => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const tokens = useTokens();
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState(String(30 * DAY));
  const [shown, setShown] = useState<string | null>(null);

  const create = useMutation({
    mutationFn: () =>
      api<string>(TOKENS_PATH, { method: 'POST', body: { name: name.trim(), expires_in: Number(expiry) } }),
    onSuccess: (token) => {
      setShown(String(token).trim());
      setName('');
      void qc.invalidateQueries({ queryKey: ['users', 'tokens'] });
    },
  });

  const revoke = async (t: AccessToken) => {
    await api(`${TOKENS_PATH}/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
    notifications.show({ color: 'green', message: `Token ${t.name} revoked` });
    void qc.invalidateQueries({ queryKey: ['users', 'tokens'] });
  };

  const columns: Column<AccessToken>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (t) => (
        <Text size="sm" fw={600} style={{ whiteSpace: 'nowrap' }}>
          {t.name}
        </Text>
      ),
    },
    { key: 'created', header: 'Created', render: (t) => formatTime(t.created_ts) },
    {
      key: 'expires',
      header: 'Expires',
      render: (t) => (t.expiration_date ? formatTime(t.expiration_date) : 'never'),
    },
    { key: 'used', header: 'Last used', render: (t) => formatAgo(t.last_used) },
  ];
  if (canWrite)
    columns.push({
      key: 'revoke',
      header: '',
      render: (t) => (
        <ConfirmButton
          size="compact-sm"
          label="Revoke"
          title="Revoke token"
          message={`Revoke the token ${t.name}? Scripts using it get 401 from now on.`}
          confirmLabel="Revoke token"
          onConfirm={() => revoke(t)}
          testId="token-revoke"
        />
      ),
    });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate();
  };
  return (
    <Card withBorder>
      <Title order={2} fz="h4" mb={4}>
        Your personal access tokens
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        A token acts as you (with your role) for scripts and mender-cli: send it as{' '}
        <code>Authorization: Bearer …</code>.
      </Text>
      {canWrite ? (
        <form onSubmit={submit} aria-label="New personal access token">
          <Group align="flex-end" gap="sm" mb="sm" wrap="wrap">
            <TextInput
              label="Name"
              placeholder="e.g. ci-uploads"
              required
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              data-testid="token-name"
            />
            <NativeSelect
              label="Expires after"
              value={expiry}
              onChange={(e) => setExpiry(e.currentTarget.value)}
              data={EXPIRIES}
              data-testid="token-expiry"
            />
            <Button
              type="submit"
              loading={create.isPending}
              disabled={!name.trim()}
              data-testid="token-create"
            >
              Create token
            </Button>
          </Group>
          <ErrorNote error={create.error} title="The token was not created" />
        </form>
      ) : null}
      {tokens.isPending ? (
        <Loading />
      ) : (
        <>
          <ErrorNote error={tokens.error} title="Cannot list your tokens" />
          <DataTable
            rows={tokens.data ?? []}
            columns={columns}
            rowKey={(t) => t.id}
            testId="tokens-table"
            label="Personal access tokens"
            empty={
              canWrite
                ? 'No tokens. Create one above for a script or mender-cli.'
                : 'No tokens. Read-only users cannot create tokens.'
            }
          />
        </>
      )}
      <ShownOnce
        title="Your new personal access token"
        value={shown}
        what="token"
        onClose={() => setShown(null)}
        testId="token-value"
      />
    </Card>
  );
};
