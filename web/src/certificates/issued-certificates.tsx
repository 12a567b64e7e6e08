import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Title,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime } from '../shared/format';
import { Pager } from '../shared/pager';
import { ErrorNote, Loading } from '../shared/ui';
import { CopyBlock } from './copy-block';
import { IssueFromCsrButton } from './issue-from-csr';
import { formatDn, type IssuedCertificate, isExpired, PKI, pkiKeys, REVOCATION_REASONS } from './pki-api';

const PAGE_SIZE = 20;

const statusOf = (c: IssuedCertificate) =>
  c.revoked_at ? 'revoked' : isExpired(c.not_after) ? 'expired' : 'valid';

/** Revoke, confirmed in a dialog that also asks why (the CRL records the reason). */
const RevokeButton = ({ cert }: { cert: IssuedCertificate }) => {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('unspecified');
  const revoke = useMutation({
    mutationFn: () =>
      api(`${PKI}/certificates/${encodeURIComponent(cert.serial)}/revoke`, {
        method: 'POST',
        body: { reason },
      }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['pki', 'certificates'] });
      setOpen(false);
    },
  });
  const testId = `cert-revoke-${cert.serial}`;
  return (
    <>
      <Button
        color="red"
        variant="light"
        size="compact-sm"
        onClick={() => setOpen(true)}
        data-testid={testId}
      >
        Revoke
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Revoke this certificate" centered>
        <Stack>
          <Text size="sm">
            {cert.cn ?? formatDn(cert.subject)} (serial {cert.serial}) stops authenticating on its next
            request, and the revocation list names it. This cannot be undone.
          </Text>
          <Select
            label="Reason"
            data={REVOCATION_REASONS}
            value={reason}
            onChange={(v) => setReason(v ?? 'unspecified')}
            allowDeselect={false}
          />
          <ErrorNote error={revoke.error} title="Not revoked" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={revoke.isPending}
              onClick={() => revoke.mutate()}
              data-testid={`${testId}-confirm`}
            >
              Revoke
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
};

const ViewButton = ({ cert }: { cert: IssuedCertificate }) => {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button size="compact-sm" variant="default" onClick={() => setOpen(true)}>
        Certificate
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Certificate ${cert.serial}`} size="lg">
        <Stack gap="xs">
          <Text size="sm">Subject: {formatDn(cert.subject)}</Text>
          <Text size="sm">
            Valid {formatTime(cert.not_before)} – {formatTime(cert.not_after)}
          </Text>
          <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
            SHA-256 {cert.fingerprint}
          </Text>
          <CopyBlock text={cert.certificate.trim()} filename={`${cert.cn ?? cert.serial}.pem`} />
        </Stack>
      </Modal>
    </>
  );
};

/** Certificates the built-in CA issued: status, revoke (confirmed), view/download, issue from a CSR. */
export const IssuedCertificates = () => {
  const { canWrite } = useAuth();
  const [status, setStatus] = useState('all');
  const [page, setPage] = useState(1);
  const certs = useQuery({
    queryKey: pkiKeys.certificates(status, page),
    queryFn: () =>
      api<IssuedCertificate[]>(`${PKI}/certificates`, {
        query: { page, per_page: PAGE_SIZE, status: status === 'all' ? undefined : status },
      }),
    placeholderData: keepPreviousData,
  });
  const columns: Column<IssuedCertificate>[] = [
    {
      key: 'serial',
      header: 'Serial',
      render: (c) => (
        <Text ff="monospace" size="xs">
          {c.serial}
        </Text>
      ),
    },
    {
      key: 'subject',
      header: 'Subject',
      render: (c) => <Text size="sm">{formatDn(c.subject)}</Text>,
    },
    { key: 'not_after', header: 'Valid until', render: (c) => formatTime(c.not_after) },
    {
      key: 'status',
      header: 'Status',
      render: (c) => {
        const s = statusOf(c);
        const badge = (
          <Badge
            tt="none"
            variant="light"
            color={s === 'valid' ? 'green' : s === 'revoked' ? 'red' : 'gray'}
            data-testid={`cert-status-${c.serial}`}
          >
            {s}
          </Badge>
        );
        return c.revoked_at ? (
          <Tooltip label={`Revoked ${formatTime(c.revoked_at)} (${c.revocation_reason ?? 'unspecified'})`}>
            {badge}
          </Tooltip>
        ) : (
          badge
        );
      },
    },
    {
      key: 'via',
      header: 'Issued',
      wide: true,
      render: (c) => (
        <Stack gap={0}>
          <Text size="sm">
            {c.issued_via === 'api' ? 'from a CSR' : c.issued_via === 'est' ? 'over EST' : 'EST renewal'}
          </Text>
          {c.device_id ? (
            <Anchor component={Link} to={`/devices/${c.device_id}`} size="xs">
              device
            </Anchor>
          ) : null}
        </Stack>
      ),
    },
    {
      key: 'actions',
      header: <VisuallyHidden>Actions</VisuallyHidden>,
      render: (c) => (
        <Group gap="xs" wrap="nowrap">
          <ViewButton cert={c} />
          {canWrite && !c.revoked_at ? <RevokeButton cert={c} /> : null}
        </Group>
      ),
    },
  ];
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={2} fz="h4">
          Issued certificates
        </Title>
        {canWrite ? <IssueFromCsrButton /> : null}
      </Group>
      <SegmentedControl
        aria-label="Show certificates"
        value={status}
        onChange={(v) => {
          setStatus(v);
          setPage(1);
        }}
        data={[
          { value: 'all', label: 'All' },
          { value: 'valid', label: 'Not revoked' },
          { value: 'revoked', label: 'Revoked' },
        ]}
        w="fit-content"
        size="xs"
      />
      <ErrorNote error={certs.error} title="Cannot list the issued certificates" />
      {certs.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={certs.data ?? []}
          columns={columns}
          rowKey={(c) => c.serial}
          testId="issued-certificates-table"
          label="Issued certificates"
          empty={
            status === 'revoked'
              ? 'No certificate is revoked.'
              : 'No certificate issued yet. Issue one from a CSR, or let devices enroll over EST with an enrollment credential.'
          }
        />
      )}
      <Pager page={page} hasNext={(certs.data?.length ?? 0) >= PAGE_SIZE} onPage={setPage} />
    </Stack>
  );
};
