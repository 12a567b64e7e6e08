import { Badge, Button, Group, Modal, Select, Stack, Text, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, apiPage } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { shortFingerprint } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { ENROLLMENT, enrollmentKeys, type IndividualEnrollment, PAGE_SIZE } from './enrollment-api';
import { byId, useAllGroups } from './enrollment-lookups';
import { IndividualForm } from './individual-form';
import { TagList } from './tag-list';

type Editing = { mode: 'create' } | { mode: 'edit'; item: IndividualEnrollment } | null;

/** Individual enrollments: one registration id each, to block a device or override what it gets. */
export const IndividualEnrollments = () => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const phone = useMediaQuery('(max-width: 48em)');
  const [editing, setEditing] = useState<Editing>(null);
  const [groupFilter, setGroupFilter] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const allGroups = useAllGroups();
  const groups = byId(allGroups.data);
  const list = useQuery({
    queryKey: enrollmentKeys.individuals(groupFilter ?? '', page),
    queryFn: () =>
      apiPage<IndividualEnrollment>(`${ENROLLMENT}/individuals`, {
        page,
        per_page: PAGE_SIZE,
        group_id: groupFilter ?? undefined,
      }),
    placeholderData: keepPreviousData,
  });
  const close = () => setEditing(null);
  const columns: Column<IndividualEnrollment>[] = [
    {
      key: 'reg',
      header: 'Registration id',
      render: (i) => (
        <Text fw={500} size="sm">
          {i.registration_id}
        </Text>
      ),
    },
    {
      key: 'state',
      header: 'State',
      render: (i) => (
        <Badge tt="none" variant="light" color={i.enabled ? 'green' : 'red'}>
          {i.enabled ? 'enabled' : 'disabled (refused)'}
        </Badge>
      ),
    },
    {
      key: 'group',
      header: 'Only through group',
      render: (i) => (i.group_id ? (groups.get(i.group_id)?.name ?? i.group_id.slice(0, 8)) : 'any'),
    },
    {
      key: 'cert',
      header: 'Only certificate',
      wide: true,
      render: (i) =>
        i.certificate_fingerprint ? (
          <Tooltip label={i.certificate_fingerprint}>
            <Text ff="monospace" size="xs">
              {shortFingerprint(i.certificate_fingerprint)}
            </Text>
          </Tooltip>
        ) : (
          'any'
        ),
    },
    { key: 'inv', header: 'Inventory group', wide: true, render: (i) => i.inventory_group ?? '—' },
    { key: 'tags', header: 'Tags', wide: true, render: (i) => <TagList tags={i.tags} /> },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: 'Actions',
            render: (i: IndividualEnrollment) => (
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="compact-sm"
                  variant="default"
                  onClick={() => setEditing({ mode: 'edit', item: i })}
                  data-testid={`individual-edit-${i.id}`}
                >
                  Edit
                </Button>
                <ConfirmButton
                  label="Delete"
                  size="compact-sm"
                  title="Delete this individual enrollment"
                  confirmLabel="Delete"
                  testId={`individual-delete-${i.id}`}
                  message={`${i.registration_id} is then admitted (or refused) by its group alone.`}
                  onConfirm={async () => {
                    await api(`${ENROLLMENT}/individuals/${i.id}`, { method: 'DELETE' });
                    await qc.invalidateQueries({ queryKey: ['enrollment', 'individuals'] });
                  }}
                />
              </Group>
            ),
          },
        ]
      : []),
  ];
  const total = list.data?.total ?? null;
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" align="flex-end">
        <Text size="sm" c="dimmed" maw={640}>
          One device by its registration id: disable it to refuse it, pin it to a group or one certificate, or
          give it its own inventory group and tags (they win over the group's).
        </Text>
        {canWrite ? (
          <Button onClick={() => setEditing({ mode: 'create' })} data-testid="individual-create">
            Add individual enrollment
          </Button>
        ) : null}
      </Group>
      <Select
        label="Group"
        data={(allGroups.data ?? []).map((g) => ({ value: g.id, label: g.name }))}
        value={groupFilter}
        onChange={(v) => {
          setGroupFilter(v);
          setPage(1);
        }}
        clearable
        placeholder="All"
        maw={320}
        data-testid="individual-filter-group"
      />
      <ErrorNote error={list.error} title="Cannot list the individual enrollments" />
      {list.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={list.data?.items ?? []}
          columns={columns}
          rowKey={(i) => i.id}
          testId="individual-enrollments-table"
          label="Individual enrollments"
          empty="No individual enrollment. Add one to block one device or give it its own settings."
          page={page}
          pages={total === null ? undefined : Math.max(1, Math.ceil(total / PAGE_SIZE))}
          onPage={setPage}
        />
      )}
      <Modal
        opened={editing !== null}
        onClose={close}
        title={
          editing?.mode === 'edit' ? `Edit ${editing.item.registration_id}` : 'Add an individual enrollment'
        }
        size="lg"
        fullScreen={phone}
      >
        {editing ? (
          <IndividualForm
            key={editing.mode === 'edit' ? editing.item.id : 'new'}
            item={editing.mode === 'edit' ? editing.item : undefined}
            onDone={close}
            onCancel={close}
          />
        ) : null}
      </Modal>
    </Stack>
  );
};
