import {
  Alert,
  Button,
  Card,
  Code,
  Group,
  PasswordInput,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { ApiError, api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { ErrorNote } from '../shared/ui';
import { ROLE_LABELS, userPath } from './users-api';

const Field = ({ label, children }: { label: string; children: ReactNode }) => (
  <div>
    <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
      {label}
    </Text>
    <div>{children}</div>
  </div>
);

const ChangePassword = ({ userId }: { userId: string }) => {
  const qc = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const change = useMutation({
    mutationFn: async () => {
      try {
        await api(userPath(userId), { method: 'PUT', body: { password: next, current_password: current } });
      } catch (e) {
        // 422 names the field at fault; say it in words.
        if (e instanceof ApiError && e.status === 422 && e.message.startsWith('current_password'))
          throw new Error('The current password is not right.');
        if (e instanceof ApiError && e.status === 422)
          throw new Error(`The new password is refused: ${e.message}`);
        throw e;
      }
    },
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setAgain('');
      notifications.show({
        color: 'green',
        title: 'Password changed',
        message: 'Your other sessions and your personal access tokens have ended; this session goes on.',
      });
      void qc.invalidateQueries({ queryKey: ['users'] });
    },
  });
  const mismatch = again !== '' && next !== again;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!mismatch && next.length >= 8) change.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Change your password">
      <Stack gap="sm" maw={420}>
        <Title order={3} fz="h5">
          Change your password
        </Title>
        <Alert color="yellow" p="xs">
          A new password ends all your other login sessions and revokes all your personal access tokens
          (scripts using them stop working). This session stays logged in.
        </Alert>
        <PasswordInput
          label="Current password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.currentTarget.value)}
          data-testid="password-current"
        />
        <PasswordInput
          label="New password"
          description="8 to 256 characters, not your email"
          autoComplete="new-password"
          required
          minLength={8}
          maxLength={256}
          value={next}
          onChange={(e) => setNext(e.currentTarget.value)}
          data-testid="password-new"
        />
        <PasswordInput
          label="New password again"
          autoComplete="new-password"
          required
          value={again}
          error={mismatch ? 'The two new passwords differ' : undefined}
          onChange={(e) => setAgain(e.currentTarget.value)}
          data-testid="password-again"
        />
        <ErrorNote error={change.error} title="The password was not changed" />
        <Group>
          <Button
            type="submit"
            loading={change.isPending}
            disabled={!current || next.length < 8 || next !== again}
            data-testid="password-change"
          >
            Change password
          </Button>
        </Group>
      </Stack>
    </form>
  );
};

export const MyAccount = () => {
  const { me, canWrite } = useAuth();
  if (!me) return null;
  return (
    <Card withBorder data-testid="my-account">
      <Title order={2} fz="h4" mb="sm">
        You
      </Title>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xl">
        <Stack gap="sm">
          <Field label="Email">
            <span data-testid="me-email">{me.email}</span>
          </Field>
          <Field label="Role">{ROLE_LABELS[me.role] ?? me.role}</Field>
          <Field label="Tenant">
            {me.tenant?.name ? `${me.tenant.name} ` : ''}
            {me.tenant?.id ? <Code>{me.tenant.id}</Code> : '—'}
          </Field>
        </Stack>
        {canWrite ? (
          <ChangePassword userId={me.id} />
        ) : (
          <Text size="sm" c="dimmed">
            Read-only users cannot change anything, their own password included: ask an administrator to set a
            new one.
          </Text>
        )}
      </SimpleGrid>
    </Card>
  );
};
