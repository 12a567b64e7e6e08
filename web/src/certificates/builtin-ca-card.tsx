import { Anchor, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useAuth } from '../shared/auth';
import { formatTime } from '../shared/format';
import { CaBadges } from './ca-badges';
import { CopyBlock, CopyValue } from './copy-block';
import { type Ca, formatDn } from './pki-api';

const Fact = ({ label, children }: { label: string; children: React.ReactNode }) => (
  <div>
    <Text size="xs" c="dimmed">
      {label}
    </Text>
    <Text size="sm" style={{ wordBreak: 'break-all' }}>
      {children}
    </Text>
  </div>
);

/** The built-in CA: its certificate, and the EST endpoints devices use to get certificates from it. */
export const BuiltinCaCard = ({ ca }: { ca: Ca }) => {
  const { me } = useAuth();
  const tenant = me?.tenant?.id ?? '<tenant id>';
  const origin = window.location.origin;
  const est = `${origin}/.well-known/est/${tenant}`;
  const endpoints = [
    { path: `${est}/cacerts`, what: 'GET: the CA certificate (PKCS#7, base64), no authentication' },
    {
      path: `${est}/simpleenroll`,
      what: 'POST a base64 CSR (application/pkcs10) with an enrollment credential (HTTP Basic) or a device token',
    },
    {
      path: `${est}/simplereenroll`,
      what: 'POST: renew, authenticated by the current certificate over mutual TLS (same subject)',
    },
    { path: `${origin}/pki/${tenant}/crl`, what: 'GET: the revocation list (DER)' },
  ];
  return (
    <Card withBorder padding="lg" data-testid="builtin-ca">
      <Stack>
        <Group justify="space-between" wrap="wrap">
          <Title order={2} fz="h4">
            Built-in CA
          </Title>
          <Group gap="xs">
            <CaBadges ca={ca} />
            <Anchor component={Link} to={`/certificates/cas/${ca.id}`} size="sm">
              Manage (enable / disable)
            </Anchor>
          </Group>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Fact label="Subject">{formatDn(ca.subject)}</Fact>
          <Fact label="Valid until">{formatTime(ca.not_after)}</Fact>
          <Fact label="Issued certificates last">
            {ca.cert_validity_days ? `${ca.cert_validity_days} days` : 'the default'}
          </Fact>
        </SimpleGrid>
        <div>
          <Text size="xs" c="dimmed">
            Fingerprint (SHA-256)
          </Text>
          <Group gap="xs" wrap="wrap">
            <Text ff="monospace" size="xs" style={{ wordBreak: 'break-all' }}>
              {ca.fingerprint}
            </Text>
            <CopyValue value={ca.fingerprint} />
          </Group>
        </div>
        <CopyBlock
          label="CA certificate"
          text={ca.certificate.trim()}
          filename="gatehouse-ca.pem"
          testId="builtin-ca-pem"
          maxHeight={160}
        />
        <div>
          <Text size="sm" fw={500} mb={4}>
            EST endpoints for devices
          </Text>
          <Text size="xs" c="dimmed" mb={4}>
            On the address your devices reach Gatehouse at; re-enrollment needs the TLS listener (or an edge
            proxy that forwards client certificates).
          </Text>
          <Stack gap="xs" data-testid="est-endpoints">
            {endpoints.map((e) => (
              <div key={e.path}>
                <Text size="xs" c="dimmed">
                  {e.what}
                </Text>
                <Group gap="xs" wrap="wrap">
                  <Text ff="monospace" size="xs" style={{ wordBreak: 'break-all' }}>
                    {e.path}
                  </Text>
                  <CopyValue value={e.path} />
                </Group>
              </div>
            ))}
          </Stack>
        </div>
      </Stack>
    </Card>
  );
};
