import { Anchor, Group, Stack, Text, Tooltip } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime, shortFingerprint } from '../shared/format';
import { Pager } from '../shared/pager';
import { ErrorNote, Loading } from '../shared/ui';
import { CaBadges } from './ca-badges';
import { CA_PAGE_SIZE, type Ca, caLabel, formatDn, PKI, pkiKeys } from './pki-api';
import { RegisterCaButton } from './register-ca-form';

const columns: Column<Ca>[] = [
  {
    key: 'name',
    header: 'CA',
    render: (ca) => (
      <Stack gap={0}>
        <Anchor component={Link} to={`/certificates/cas/${ca.id}`} fw={500}>
          {caLabel(ca)}
        </Anchor>
        <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
          {formatDn(ca.subject)}
        </Text>
      </Stack>
    ),
  },
  { key: 'status', header: 'Status', render: (ca) => <CaBadges ca={ca} /> },
  {
    key: 'fingerprint',
    header: 'Fingerprint (SHA-256)',
    wide: true,
    render: (ca) => (
      <Tooltip label={ca.fingerprint}>
        <Text ff="monospace" size="xs">
          {shortFingerprint(ca.fingerprint)}
        </Text>
      </Tooltip>
    ),
  },
  { key: 'not_after', header: 'Valid until', render: (ca) => formatTime(ca.not_after) },
  {
    key: 'crl',
    header: 'CRL',
    wide: true,
    render: (ca) =>
      ca.kind === 'builtin'
        ? 'published by Gatehouse'
        : ca.crl_this_update
          ? `uploaded, issued ${formatTime(ca.crl_this_update)}`
          : 'none',
  },
];

/** The tenant's registered CAs (uploaded and built-in), each linking to its page. */
export const CasSection = () => {
  const { canWrite } = useAuth();
  const navigate = useNavigate();
  const [page, setPage] = useState(1);
  const cas = useQuery({
    queryKey: pkiKeys.cas(page),
    queryFn: () => api<Ca[]>(`${PKI}/cas`, { query: { page, per_page: CA_PAGE_SIZE } }),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" maw={640}>
          Devices whose client certificate chains to a verified, enabled CA of yours are accepted on their
          first request. Register the CA that signs your devices' certificates, then prove you hold its key.
        </Text>
        {canWrite ? <RegisterCaButton /> : null}
      </Group>
      <ErrorNote error={cas.error} title="Cannot list the CAs" />
      {cas.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={cas.data ?? []}
          columns={columns}
          rowKey={(ca) => ca.id}
          onRowClick={(ca) => navigate(`/certificates/cas/${ca.id}`)}
          testId="cas-table"
          label="Registered CAs"
          empty={
            canWrite
              ? 'No CA is registered yet. Register the CA that signs your device certificates, or create the built-in CA.'
              : 'No CA is registered yet. An administrator can register one.'
          }
        />
      )}
      <Pager page={page} hasNext={(cas.data?.length ?? 0) >= CA_PAGE_SIZE} onPage={setPage} />
    </Stack>
  );
};
