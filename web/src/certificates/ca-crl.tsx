import { Alert, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { formatTime } from '../shared/format';
import { ErrorNote } from '../shared/ui';
import { PemInput } from './pem-input';
import { type Ca, PKI, pkiKeys } from './pki-api';

/** An uploaded CA's revocation list: what is stored, and upload a newer one (PUT /pki/cas/{id}/crl). */
export const CaCrl = ({ ca, canWrite }: { ca: Ca; canWrite: boolean }) => {
  const qc = useQueryClient();
  const [crl, setCrl] = useState('');
  const upload = useMutation({
    mutationFn: () => api<Ca>(`${PKI}/cas/${ca.id}/crl`, { method: 'PUT', body: { crl: crl.trim() } }),
    onSuccess: (next) => {
      qc.setQueryData(pkiKeys.ca(ca.id), next);
      setCrl('');
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    upload.mutate();
  };
  return (
    <Card withBorder padding="lg">
      <Stack>
        <div>
          <Title order={2} fz="h4">
            Revocation list (CRL)
          </Title>
          <Text size="sm" c="dimmed">
            Devices whose certificates this CA's CRL lists are refused. Upload a CRL signed by this CA, newer
            than the stored one, whenever you revoke certificates.
          </Text>
        </div>
        <Text size="sm" data-testid="ca-crl-status">
          {ca.crl_this_update
            ? `Stored CRL issued ${formatTime(ca.crl_this_update)}${ca.crl_next_update ? `, next update due ${formatTime(ca.crl_next_update)}` : ''}.`
            : 'No CRL uploaded.'}
        </Text>
        {upload.isSuccess ? (
          <Alert color="green" title="CRL stored" withCloseButton onClose={() => upload.reset()}>
            Certificates it lists are refused from now on.
          </Alert>
        ) : null}
        {canWrite ? (
          <form onSubmit={submit} aria-label="Upload a CRL">
            <Stack gap="xs">
              <PemInput
                label="CRL (PEM, or a DER file)"
                value={crl}
                onChange={setCrl}
                derLabel="X509 CRL"
                minRows={4}
                testId="ca-crl"
              />
              <ErrorNote error={upload.error} title="The CRL was not stored" />
              <Group justify="flex-end">
                <Button
                  type="submit"
                  disabled={!crl.trim()}
                  loading={upload.isPending}
                  data-testid="ca-crl-submit"
                >
                  Upload CRL
                </Button>
              </Group>
            </Stack>
          </form>
        ) : null}
      </Stack>
    </Card>
  );
};
