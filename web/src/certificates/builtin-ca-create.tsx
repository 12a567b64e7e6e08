import {
  Button,
  Card,
  Group,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { ErrorNote } from '../shared/ui';
import { type Ca, PKI, pkiKeys } from './pki-api';

/** The tenant has no built-in CA yet: explain it, and let an administrator create it. */
export const CreateBuiltinCa = () => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const [keyType, setKeyType] = useState<string>('ec-p256');
  const [commonName, setCommonName] = useState('');
  const [caDays, setCaDays] = useState<number | string>('');
  const [certDays, setCertDays] = useState<number | string>(365);
  const create = useMutation({
    mutationFn: () =>
      api<Ca>(`${PKI}/builtin-ca`, {
        method: 'POST',
        body: {
          key_type: keyType,
          ...(commonName.trim() ? { common_name: commonName.trim() } : {}),
          ...(typeof caDays === 'number' ? { ca_validity_days: caDays } : {}),
          ...(typeof certDays === 'number' ? { cert_validity_days: certDays } : {}),
        },
      }),
    onSuccess: (ca) => {
      qc.setQueryData(pkiKeys.builtin, ca);
      void qc.invalidateQueries({ queryKey: pkiKeys.all });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Card withBorder padding="lg">
      <Stack>
        <Title order={2} fz="h4">
          No built-in CA yet
        </Title>
        <Text size="sm">
          Gatehouse can run a CA for you: it creates the CA key (kept sealed on the server) and certificate,
          registered as verified. It issues device certificates from CSRs here or over EST (/.well-known/est),
          and publishes a revocation list.
        </Text>
        {canWrite ? (
          <form onSubmit={submit} aria-label="Create the built-in CA">
            <Stack>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Select
                  label="Key type"
                  data={[
                    { value: 'ec-p256', label: 'EC P-256 (recommended)' },
                    { value: 'rsa-3072', label: 'RSA 3072' },
                  ]}
                  value={keyType}
                  onChange={(v) => setKeyType(v ?? 'ec-p256')}
                  allowDeselect={false}
                  data-testid="builtin-ca-key-type"
                />
                <TextInput
                  label="Common name"
                  description="Optional; Gatehouse picks one naming the tenant"
                  value={commonName}
                  onChange={(e) => setCommonName(e.currentTarget.value)}
                  maxLength={64}
                  data-testid="builtin-ca-cn"
                />
                <NumberInput
                  label="CA validity (days)"
                  description="Optional, 30 to 36500"
                  min={30}
                  max={36500}
                  value={caDays}
                  onChange={setCaDays}
                  allowDecimal={false}
                />
                <NumberInput
                  label="Device certificate validity (days)"
                  description="Default for issued certificates, 1 to 3650"
                  min={1}
                  max={3650}
                  value={certDays}
                  onChange={setCertDays}
                  allowDecimal={false}
                />
              </SimpleGrid>
              <ErrorNote error={create.error} title="The built-in CA was not created" />
              <Group justify="flex-end">
                <Button type="submit" loading={create.isPending} data-testid="builtin-ca-create">
                  Create the built-in CA
                </Button>
              </Group>
            </Stack>
          </form>
        ) : (
          <Text size="sm" c="dimmed">
            An administrator can create it.
          </Text>
        )}
      </Stack>
    </Card>
  );
};
