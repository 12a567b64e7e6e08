import { Badge, Button, Card, Group, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatAgo, formatTime } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { UserForm } from './user-form';
import { ROLE_LABELS, type User, userPath, useUsers } from './users-api';

export const UsersList = () => {
  const { me, canWrite } = useAuth();
  const qc = useQueryClient();
  const users = useUsers();
  const [editing, setEditing] = useState<User | 'new' | null>(null);

  const remove = async (u: User) => {
    await api(userPath(u.id), { method: 'DELETE' });
    notifications.show({
      color: 'green',
      message: `${u.email} deleted: their sessions and tokens have ended`,
    });
    void qc.invalidateQueries({ queryKey: ['users'] });
  };

  const columns: Column<User>[] = [
    {
      key: 'email',
      header: 'Email',
      render: (u) => (
        <Group gap={6} wrap="nowrap">
          <Text size="sm" fw={600} style={{ whiteSpace: 'nowrap' }}>
            {u.email}
          </Text>
          {u.id === me?.id ? (
            <Badge size="xs" variant="light" style={{ minWidth: 'max-content' }}>
              you
            </Badge>
          ) : null}
        </Group>
      ),
    },
    {
      key: 'role',
      header: 'Role',
      render: (u) => (
        <Badge
          variant="light"
          color={u.role === 'admin' ? 'blue' : 'gray'}
          tt="none"
          style={{ minWidth: 'max-content' }}
          data-testid="user-role-badge"
        >
          {ROLE_LABELS[u.role] ?? u.role}
        </Badge>
      ),
    },
    { key: 'login', header: 'Last login', render: (u) => formatAgo(u.login_ts) },
    { key: 'created', header: 'Created', render: (u) => formatTime(u.created_ts), wide: true },
  ];
  if (canWrite)
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (u) => (
        <Group gap={6} wrap="nowrap">
          {u.id === me?.id ? (
            <Text size="xs" c="dimmed" maw={200}>
              Change your own password above. You cannot delete yourself: another admin can.
            </Text>
          ) : (
            <>
              <Button
                size="compact-sm"
                variant="default"
                onClick={() => setEditing(u)}
                data-testid="user-edit"
              >
                Edit
              </Button>
              <ConfirmButton
                size="compact-sm"
                label="Delete"
                title="Delete user"
                message={`Delete ${u.email}? They are logged out at once and their personal access tokens stop working.`}
                confirmLabel="Delete user"
                onConfirm={() => remove(u)}
                testId="user-delete"
              />
            </>
          )}
        </Group>
      ),
    });

  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={2} fz="h4">
          Users of this tenant
        </Title>
        {canWrite ? (
          <Button onClick={() => setEditing('new')} data-testid="user-create">
            New user
          </Button>
        ) : null}
      </Group>
      <ErrorNote error={users.error} title="Cannot list users" />
      {users.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={users.data ?? []}
          columns={columns}
          rowKey={(u) => u.id}
          testId="users-table"
          label="Users"
          empty="No users."
        />
      )}
      {editing ? (
        <UserForm user={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      ) : null}
    </Card>
  );
};
