import { Alert, Anchor, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { formatTime } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading, PageTitle } from '../shared/ui';
import { CaBadges } from './ca-badges';
import { CaCrl } from './ca-crl';
import { CaEnrollmentGroup } from './ca-enrollment-group';
import { CaName } from './ca-name';
import { CopyBlock, CopyValue } from './copy-block';
import { type Ca, caLabel, formatDn, isExpired, PKI, pkiKeys } from './pki-api';
import { ProofOfPossession } from './proof-of-possession';

const Fact = ({ label, children }: { label: string; children: ReactNode }) => (
  <div>
    <Text size="xs" c="dimmed">
      {label}
    </Text>
    <Text size="sm" component="div" style={{ wordBreak: 'break-all' }}>
      {children}
    </Text>
  </div>
);

/** One CA: details, proof of possession while unverified, enable/disable, CRL, delete. */
export default function CaPage() {
  const { id = '' } = useParams();
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [justVerified, setJustVerified] = useState(false);
  const caQuery = useQuery({
    queryKey: pkiKeys.ca(id),
    queryFn: () => api<Ca>(`${PKI}/cas/${encodeURIComponent(id)}`),
  });
  const setEnabled = useMutation({
    mutationFn: (enabled: boolean) => api<Ca>(`${PKI}/cas/${id}`, { method: 'PUT', body: { enabled } }),
    onSuccess: (next) => {
      qc.setQueryData(pkiKeys.ca(id), next);
      void qc.invalidateQueries({ queryKey: ['pki'] });
    },
  });

  const back = (
    <Anchor component={Link} to="/certificates" size="sm">
      ← Certificates
    </Anchor>
  );
  if (caQuery.isPending) return <Loading />;
  if (caQuery.error)
    return (
      <Stack>
        {back}
        <ErrorNote error={caQuery.error} title="Cannot show this CA" />
      </Stack>
    );
  const ca = caQuery.data;

  return (
    <Stack>
      {back}
      <PageTitle actions={<CaBadges ca={ca} testId="ca-status" size="lg" />}>{caLabel(ca)}</PageTitle>

      {justVerified && ca.status === 'verified' ? (
        <Alert
          color="green"
          title="Verified"
          data-testid="verification-success"
          withCloseButton
          onClose={() => setJustVerified(false)}
        >
          You proved possession of this CA's key. Devices with certificates it signed are now accepted on
          their first request{ca.enabled ? '' : ' once you enable the CA'}. Optionally, create an enrollment
          group to choose their identity, inventory group, tags and bootstrap config.
        </Alert>
      ) : null}

      {ca.status === 'unverified' ? (
        <ProofOfPossession ca={ca} canWrite={canWrite} onVerified={() => setJustVerified(true)} />
      ) : null}

      <Card withBorder padding="lg">
        <Stack>
          <Group justify="space-between" wrap="wrap">
            <Title order={2} fz="h4">
              Details
            </Title>
            {canWrite ? (
              <Group gap="xs">
                <Button
                  variant="light"
                  color={ca.enabled ? 'orange' : 'green'}
                  loading={setEnabled.isPending}
                  onClick={() => setEnabled.mutate(!ca.enabled)}
                  data-testid="ca-toggle-enabled"
                >
                  {ca.enabled ? 'Disable' : 'Enable'}
                </Button>
                {ca.kind === 'uploaded' ? (
                  <ConfirmButton
                    label="Delete"
                    title="Delete this CA"
                    confirmLabel="Delete"
                    testId="ca-delete"
                    message="Devices whose certificates chain only to this CA are no longer admitted (devices already accepted stay accepted). A CA used by an enrollment group cannot be deleted: delete the group first."
                    onConfirm={async () => {
                      await api(`${PKI}/cas/${id}`, { method: 'DELETE' });
                      qc.removeQueries({ queryKey: pkiKeys.ca(id) });
                      await qc.invalidateQueries({ queryKey: ['pki', 'cas'] });
                      // void: navigate() returns nothing under BrowserRouter (the Promise is for data routers).
                      void navigate('/certificates');
                    }}
                  />
                ) : null}
              </Group>
            ) : null}
          </Group>
          <ErrorNote error={setEnabled.error} title={ca.enabled ? 'Not disabled' : 'Not enabled'} />
          {ca.enabled ? null : (
            <Text size="sm" c="orange">
              Disabled: this CA admits no device and devices with its certificates get no new tokens.
            </Text>
          )}
          <CaName ca={ca} canWrite={canWrite} />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Fact label="Subject">{formatDn(ca.subject)}</Fact>
            <Fact label="Issuer">
              {ca.issuer === ca.subject ? `${formatDn(ca.issuer)} (self-signed root)` : formatDn(ca.issuer)}
            </Fact>
            <Fact label="Valid">
              {formatTime(ca.not_before)} – {formatTime(ca.not_after)}
              {isExpired(ca.not_after) ? ' (expired)' : ''}
            </Fact>
            <Fact label="Serial">
              <Text ff="monospace" size="sm">
                {ca.serial}
              </Text>
            </Fact>
            <Fact label="Kind">
              {ca.kind === 'builtin' ? 'built-in (Gatehouse holds the key)' : 'uploaded'}
            </Fact>
            <Fact label="Verified">{ca.verified_at ? formatTime(ca.verified_at) : 'not yet'}</Fact>
          </SimpleGrid>
          <Fact label="Fingerprint (SHA-256 of the DER)">
            <Group gap="xs" wrap="wrap">
              <Text ff="monospace" size="xs" data-testid="ca-fingerprint">
                {ca.fingerprint}
              </Text>
              <CopyValue value={ca.fingerprint} />
            </Group>
          </Fact>
          <CopyBlock label="Certificate" text={ca.certificate.trim()} filename="ca.pem" maxHeight={160} />
        </Stack>
      </Card>

      <CaEnrollmentGroup ca={ca} canWrite={canWrite} />
      {ca.kind === 'uploaded' ? <CaCrl ca={ca} canWrite={canWrite} /> : null}
    </Stack>
  );
}
