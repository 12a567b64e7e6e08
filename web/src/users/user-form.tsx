import { Button, Group, Modal, NativeSelect, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import { ROLE_LABELS, USERS_PATH, type User, userPath } from './users-api';

/** Creates a user, or changes another user's email or password (the API keeps roles as created). */
export const UserForm = ({ user, onClose }: { user: User | null; onClose: () => void }) => {
  const qc = useQueryClient();
  const [email, setEmail] = useState(user?.email ?? '');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('readonly');
  const save = useMutation({
    mutationFn: async () => {
      if (!user) return api(USERS_PATH, { method: 'POST', body: { email: email.trim(), password, role } });
      const body: Record<string, string> = {};
      if (email.trim() !== user.email) body.email = email.trim();
      if (password) body.password = password;
      return api(userPath(user.id), { method: 'PUT', body });
    },
    onSuccess: () => {
      notifications.show({
        color: 'green',
        message: user
          ? `${email.trim()} changed${password ? ': their sessions and access tokens have ended' : ''}`
          : `${email.trim()} can log in now`,
      });
      void qc.invalidateQueries({ queryKey: ['users'] });
      onClose();
    },
  });
  const changed = !user || email.trim() !== user.email || password !== '';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (changed) save.mutate();
  };
  return (
    <Modal opened onClose={onClose} title={user ? `Edit ${user.email}` : 'New user'}>
      <form onSubmit={submit} aria-label={user ? 'Edit user' : 'New user'}>
        <Stack gap="sm">
          <TextInput
            label="Email"
            type="email"
            required
            maxLength={254}
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            data-testid="user-email"
            data-autofocus
          />
          <PasswordInput
            label={user ? 'New password (optional)' : 'Password'}
            description={
              user
                ? 'Setting one ends all of this user’s sessions and personal access tokens.'
                : '8 to 256 characters, not the email. Give it to the user by a safe channel.'
            }
            autoComplete="new-password"
            required={!user}
            minLength={8}
            maxLength={256}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            data-testid="user-password"
          />
          {user ? (
            <Text size="sm" c="dimmed">
              Role: {ROLE_LABELS[user.role] ?? user.role}. A role cannot be changed once the user exists: to
              change it, create a new user with the other role and delete this one.
            </Text>
          ) : (
            <NativeSelect
              label="Role"
              description="Read-only users can look at everything but change nothing."
              value={role}
              onChange={(e) => setRole(e.currentTarget.value)}
              data={[
                { value: 'readonly', label: 'read-only' },
                { value: 'admin', label: 'admin' },
              ]}
              data-testid="user-role"
            />
          )}
          <ErrorNote
            error={save.error}
            title={user ? 'The user was not changed' : 'The user was not created'}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!changed} data-testid="user-save">
              {user ? 'Save' : 'Create user'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
};
