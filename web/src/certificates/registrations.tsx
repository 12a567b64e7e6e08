import { Anchor, Badge, Select, Stack, Text, Tooltip } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { apiPage } from '../shared/api';
import { type Column, DataTable } from '../shared/data-table';
import { useLiveEvents } from '../shared/events';
import { formatTime, shortFingerprint } from '../shared/format';
import { ErrorNote, Loading } from '../shared/ui';
import { ENROLLMENT, enrollmentKeys, PAGE_SIZE, type Registration } from './enrollment-api';
import { byId, useAllCas, useAllGroups } from './enrollment-lookups';
import { caLabel, formatDn } from './pki-api';

/** Which device was admitted by which CA, group, individual enrollment and certificate (newest first). */
export const Registrations = () => {
  const [groupFilter, setGroupFilter] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const allGroups = useAllGroups();
  const groups = byId(allGroups.data);
  const cas = byId(useAllCas().data);
  const qc = useQueryClient();
  // Admissions arrive as device events, which do not refresh 'enrollment' queries by themselves.
  useLiveEvents((e) => {
    if (e.type === 'device.enrolled_by_certificate' || e.type === 'device.decommissioned')
      void qc.invalidateQueries({ queryKey: ['enrollment', 'registrations'] });
  });
  const list = useQuery({
    queryKey: enrollmentKeys.registrations(groupFilter ?? '', page),
    queryFn: () =>
      apiPage<Registration>(`${ENROLLMENT}/registrations`, {
        page,
        per_page: PAGE_SIZE,
        group_id: groupFilter ?? undefined,
      }),
    placeholderData: keepPreviousData,
  });
  const columns: Column<Registration>[] = [
    {
      key: 'device',
      header: 'Device',
      render: (r) => (
        <Anchor component={Link} to={`/devices/${r.device_id}`} ff="monospace" size="sm">
          {r.device_id.slice(0, 8)}…
        </Anchor>
      ),
    },
    { key: 'reg', header: 'Registration id', render: (r) => <Text size="sm">{r.registration_id}</Text> },
    {
      key: 'by',
      header: 'Admitted by',
      render: (r) => {
        const ca = cas.get(r.ca_id);
        const group = r.enrollment_group_id ? groups.get(r.enrollment_group_id) : undefined;
        return (
          <Stack gap={2}>
            <Anchor component={Link} to={`/certificates/cas/${r.ca_id}`} size="sm">
              {ca ? caLabel(ca) : `CA ${r.ca_id.slice(0, 8)}`}
            </Anchor>
            <Text size="xs" c="dimmed">
              {r.enrollment_group_id
                ? `group ${group?.name ?? r.enrollment_group_id.slice(0, 8)}`
                : 'no group'}
              {r.individual_enrollment_id ? ' · individual enrollment' : ''}
            </Text>
          </Stack>
        );
      },
    },
    {
      key: 'cert',
      header: 'Certificate',
      wide: true,
      render: (r) => (
        <Stack gap={2}>
          <Text size="sm">{formatDn(r.certificate.subject)}</Text>
          <Tooltip label={`SHA-256 ${r.certificate.fingerprint}`}>
            <Text size="xs" c="dimmed" ff="monospace">
              serial {r.certificate.serial} · {shortFingerprint(r.certificate.fingerprint)}
            </Text>
          </Tooltip>
        </Stack>
      ),
    },
    {
      key: 'expires',
      header: 'Certificate expires',
      render: (r) =>
        new Date(r.certificate.not_after).getTime() < Date.now() ? (
          <Badge color="red" variant="light" tt="none">
            expired {formatTime(r.certificate.not_after)}
          </Badge>
        ) : (
          formatTime(r.certificate.not_after)
        ),
    },
    {
      key: 'when',
      header: 'Admitted',
      wide: true,
      render: (r) => (
        <Stack gap={0}>
          <Text size="sm">{formatTime(r.created_at)}</Text>
          {r.updated_at !== r.created_at ? (
            <Text size="xs" c="dimmed">
              re-enrolled {formatTime(r.updated_at)}
            </Text>
          ) : null}
        </Stack>
      ),
    },
  ];
  const total = list.data?.total ?? null;
  return (
    <Stack>
      <Text size="sm" c="dimmed" maw={640}>
        Devices admitted by their certificate. A registration is removed with its device.
      </Text>
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
        data-testid="registrations-filter-group"
      />
      <ErrorNote error={list.error} title="Cannot list the registrations" />
      {list.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={list.data?.items ?? []}
          columns={columns}
          rowKey={(r) => r.device_id}
          testId="registrations-table"
          label="Registrations"
          empty="No device has been admitted by a certificate yet. Devices with a certificate from a verified CA appear here after their first auth request."
          page={page}
          pages={total === null ? undefined : Math.max(1, Math.ceil(total / PAGE_SIZE))}
          onPage={setPage}
        />
      )}
    </Stack>
  );
};
