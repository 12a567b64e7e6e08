import { Anchor, Badge, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, apiPage } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { ENROLLMENT, type EnrollmentGroup, enrollmentKeys, PAGE_SIZE } from './enrollment-api';
import { byId, useAllCas, useAllWebhooks } from './enrollment-lookups';
import { GroupForm } from './group-form';
import { caLabel } from './pki-api';
import { TagList } from './tag-list';

type Editing = { mode: 'create'; caId?: string } | { mode: 'edit'; group: EnrollmentGroup } | null;

/** Enrollment groups (one per CA): what a device admitted by its certificate gets. */
export const EnrollmentGroups = () => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const phone = useMediaQuery('(max-width: 48em)');
  const [params, setParams] = useSearchParams();
  const newFor = params.get('new_group_for');
  const [editing, setEditing] = useState<Editing>(() => (newFor ? { mode: 'create', caId: newFor } : null));
  const [page, setPage] = useState(1);
  const cas = byId(useAllCas().data);
  const hooks = byId(useAllWebhooks().data);
  const groups = useQuery({
    queryKey: enrollmentKeys.groups(page),
    queryFn: () => apiPage<EnrollmentGroup>(`${ENROLLMENT}/groups`, { page, per_page: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const close = () => {
    setEditing(null);
    if (newFor) {
      params.delete('new_group_for');
      setParams(params, { replace: true });
    }
  };
  const highlighted = params.get('group');

  const columns: Column<EnrollmentGroup>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (g) => (
        <Text fw={g.id === highlighted ? 700 : 500} size="sm">
          {g.name}
        </Text>
      ),
    },
    {
      key: 'ca',
      header: 'CA',
      render: (g) => {
        const ca = cas.get(g.ca_id);
        return (
          <Anchor component={Link} to={`/certificates/cas/${g.ca_id}`} size="sm">
            {ca ? caLabel(ca) : g.ca_id.slice(0, 8)}
          </Anchor>
        );
      },
    },
    {
      key: 'state',
      header: 'State',
      render: (g) => (
        <Badge tt="none" variant="light" color={g.enabled ? 'green' : 'gray'}>
          {g.enabled ? 'enabled' : 'disabled'}
        </Badge>
      ),
    },
    {
      key: 'identity',
      header: 'Identity',
      wide: true,
      render: (g) => (
        <Text size="sm">
          {g.identity.attribute} ← {g.identity.source}
        </Text>
      ),
    },
    { key: 'inv', header: 'Inventory group', wide: true, render: (g) => g.inventory_group ?? '—' },
    { key: 'tags', header: 'Tags', wide: true, render: (g) => <TagList tags={g.tags} /> },
    {
      key: 'extras',
      header: 'Bootstrap / webhook',
      wide: true,
      render: (g) => (
        <Stack gap={0}>
          <Text size="xs">{g.bootstrap ? `config (${g.bootstrap.content_template})` : 'no config'}</Text>
          <Text size="xs" c="dimmed">
            {g.allocation_webhook_id
              ? `webhook ${hooks.get(g.allocation_webhook_id)?.description || hooks.get(g.allocation_webhook_id)?.url || ''}`
              : 'no webhook'}
          </Text>
        </Stack>
      ),
    },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: 'Actions',
            render: (g: EnrollmentGroup) => (
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="compact-sm"
                  variant="default"
                  onClick={() => setEditing({ mode: 'edit', group: g })}
                  data-testid={`group-edit-${g.id}`}
                >
                  Edit
                </Button>
                <ConfirmButton
                  label="Delete"
                  size="compact-sm"
                  title="Delete this enrollment group"
                  confirmLabel="Delete"
                  testId={`group-delete-${g.id}`}
                  message={`“${g.name}” and its individual enrollments are deleted. Devices of its CA are then admitted with the defaults (identity DeviceId = CN); admitted devices stay.`}
                  onConfirm={async () => {
                    await api(`${ENROLLMENT}/groups/${g.id}`, { method: 'DELETE' });
                    await qc.invalidateQueries({ queryKey: ['enrollment'] });
                  }}
                />
              </Group>
            ),
          },
        ]
      : []),
  ];

  const total = groups.data?.total ?? null;
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" maw={640}>
          Optional, at most one per CA: how a device's identity is taken from its certificate, and the
          inventory group, tags and bootstrap config it gets when admitted. A CA without a group admits with
          identity DeviceId = the certificate's CN.
        </Text>
        {canWrite ? (
          <Button onClick={() => setEditing({ mode: 'create' })} data-testid="enrollment-group-create">
            Create group
          </Button>
        ) : null}
      </Group>
      <ErrorNote error={groups.error} title="Cannot list the enrollment groups" />
      {groups.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={groups.data?.items ?? []}
          columns={columns}
          rowKey={(g) => g.id}
          testId="enrollment-groups-table"
          label="Enrollment groups"
          empty="No enrollment group. Devices of your verified CAs are admitted with the defaults; create a group to choose what they get."
          page={page}
          pages={total === null ? undefined : Math.max(1, Math.ceil(total / PAGE_SIZE))}
          onPage={setPage}
        />
      )}
      <Modal
        opened={editing !== null}
        onClose={close}
        title={editing?.mode === 'edit' ? `Edit “${editing.group.name}”` : 'Create an enrollment group'}
        size="lg"
        fullScreen={phone}
      >
        {editing ? (
          <GroupForm
            key={editing.mode === 'edit' ? editing.group.id : 'new'}
            group={editing.mode === 'edit' ? editing.group : undefined}
            initialCaId={editing.mode === 'create' ? editing.caId : undefined}
            onDone={close}
            onCancel={close}
          />
        ) : null}
      </Modal>
    </Stack>
  );
};
