import { Alert, Button, Card, Group, List, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../shared/api';
import { describeError } from '../shared/errors';
import { formatTime } from '../shared/format';
import { CopyBlock, CopyValue } from './copy-block';
import { PemInput } from './pem-input';
import { type Ca, PKI, pkiKeys } from './pki-api';

/**
 * The commands an operator runs with the CA's key. The server wants a certificate whose subject
 * CN is the code (compared without regard to case), signed by the registered CA (issuer = CA
 * subject, signature by its key) and valid now; the key it certifies can be any key.
 */
export const opensslCommands = (code: string, caCert: string, caKey: string) =>
  [
    '# 1. A throw-away key for the verification certificate',
    'openssl ecparam -name prime256v1 -genkey -noout -out verification.key',
    '# 2. A signing request whose common name is the verification code',
    `openssl req -new -key verification.key -subj "/CN=${code}" -out verification.csr`,
    '# 3. Sign it with your CA (the certificate you registered and its private key)',
    `openssl x509 -req -in verification.csr -CA ${caCert} -CAkey ${caKey} -CAcreateserial \\`,
    '  -out verification.pem -days 1 -sha256',
    '# 4. Upload verification.pem below',
  ].join('\n');

/** The server's reason, and what to do about it. */
const explain = (e: unknown): { text: string; hint?: string } => {
  const text = describeError(e);
  if (!(e instanceof ApiError)) return { text };
  const m = e.message;
  if (/not signed by this CA/i.test(m))
    return {
      text: 'This certificate was not signed by the CA you registered.',
      hint: 'Sign it with the private key of exactly this CA certificate (the -CA and -CAkey files of step 3); a certificate signed by another CA, or self-signed, does not prove anything.',
    };
  if (/CN of the verification certificate/i.test(m))
    return {
      text: 'The common name (CN) of this certificate is not the current verification code.',
      hint: 'Make a new certificate with the code shown in step 1. If you asked for a new code, certificates made with the old one no longer count.',
    };
  if (/code has expired|no longer valid/i.test(m))
    return {
      text: 'The verification code has expired or was replaced.',
      hint: 'Get a new code in step 1 and sign a new certificate with it.',
    };
  if (/not currently valid/i.test(m))
    return {
      text: 'The certificate is not valid right now (its validity period has not started or has ended).',
      hint: 'Check the clock of the computer you signed on, and sign with -days 1 or more.',
    };
  if (/already verified/i.test(m)) return { text: 'This CA is already verified.' };
  if (e.status === 400 && /certificate/i.test(m))
    return {
      text,
      hint: 'Paste the whole PEM of verification.pem, from -----BEGIN CERTIFICATE----- to the END line.',
    };
  return { text };
};

/**
 * Proof of possession for an unverified CA: (1) a verification code and the openssl commands that
 * sign a certificate with that CN using the CA key, (2) upload that certificate → verified.
 */
export const ProofOfPossession = ({
  ca,
  canWrite,
  onVerified,
}: {
  ca: Ca;
  canWrite: boolean;
  onVerified: () => void;
}) => {
  const qc = useQueryClient();
  const [shown, setShown] = useState<{ code: string; expires?: string } | null>(null);
  const [caCertFile, setCaCertFile] = useState('ca.pem');
  const [caKeyFile, setCaKeyFile] = useState('ca.key');
  const [pem, setPem] = useState('');

  const newCode = useMutation({
    mutationFn: () => api<Ca>(`${PKI}/cas/${ca.id}/verification-code`, { method: 'POST' }),
    onMutate: () => setShown(null),
    onSuccess: (next) => {
      qc.setQueryData(pkiKeys.ca(ca.id), next);
      if (next.verification_code)
        setShown({ code: next.verification_code, expires: next.verification_code_expires_at });
    },
  });
  const verify = useMutation({
    mutationFn: () =>
      api<Ca>(`${PKI}/cas/${ca.id}/verification`, { method: 'POST', body: { certificate: pem.trim() } }),
    onSuccess: (next) => {
      onVerified();
      qc.setQueryData(pkiKeys.ca(ca.id), next);
      void qc.invalidateQueries({ queryKey: ['pki', 'cas'] });
    },
  });

  if (!canWrite)
    return (
      <Alert color="orange" title="Not verified yet">
        This CA admits no device until an administrator proves possession of its key.
      </Alert>
    );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    verify.mutate();
  };
  const failure = verify.error ? explain(verify.error) : null;
  const codeError = newCode.error ? describeError(newCode.error) : null;

  return (
    <Card withBorder padding="lg" data-testid="proof-of-possession">
      <Stack>
        <div>
          <Title order={2} fz="h4">
            Prove that you hold this CA's key
          </Title>
          <Text size="sm" c="dimmed">
            Anyone can upload a CA certificate; only its owner can sign with its key. Sign a short-lived
            certificate whose common name is a code Gatehouse gives you, and upload it. The CA then admits
            devices.
          </Text>
        </div>

        <Stack gap="xs">
          <Text fw={600}>Step 1: get a verification code</Text>
          <Group gap="xs" wrap="wrap">
            <Button
              onClick={() => newCode.mutate()}
              loading={newCode.isPending}
              data-testid="ca-verification-code"
            >
              {shown ? 'Get a new code' : 'Get a verification code'}
            </Button>
            {!shown && ca.verification_code ? (
              <Button
                variant="subtle"
                onClick={() =>
                  setShown({ code: ca.verification_code ?? '', expires: ca.verification_code_expires_at })
                }
              >
                Show the current code
              </Button>
            ) : null}
          </Group>
          {codeError ? (
            <Alert color="red" title="No code" role="alert" data-testid="error">
              {codeError}
            </Alert>
          ) : null}
          {shown && !newCode.isPending ? (
            <Stack gap="xs">
              <Group gap="xs" wrap="wrap">
                <Text size="sm">Code:</Text>
                <Text
                  ff="monospace"
                  fw={600}
                  size="sm"
                  data-testid="verification-code"
                  style={{ wordBreak: 'break-all' }}
                >
                  {shown.code}
                </Text>
                <CopyValue value={shown.code} testId="verification-code-copy" />
              </Group>
              {shown.expires ? (
                <Text size="xs" c="dimmed">
                  Valid until {formatTime(shown.expires)}, for one verification. A new code replaces it.
                </Text>
              ) : null}
              <Text size="sm">
                Run these where your CA's private key is, with the file names of your CA certificate and key:
              </Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput
                  label="CA certificate file"
                  value={caCertFile}
                  onChange={(e) => setCaCertFile(e.currentTarget.value || 'ca.pem')}
                  size="xs"
                />
                <TextInput
                  label="CA private key file"
                  value={caKeyFile}
                  onChange={(e) => setCaKeyFile(e.currentTarget.value || 'ca.key')}
                  size="xs"
                />
              </SimpleGrid>
              <CopyBlock
                text={opensslCommands(shown.code, caCertFile, caKeyFile)}
                testId="openssl-commands"
              />
            </Stack>
          ) : null}
        </Stack>

        <form onSubmit={submit} aria-label="Upload the verification certificate">
          <Stack gap="xs">
            <Text fw={600}>Step 2: upload the signed certificate</Text>
            <PemInput
              label="Verification certificate (verification.pem)"
              value={pem}
              onChange={setPem}
              required
              testId="verification-pem"
            />
            {failure ? (
              <Alert color="red" title="Not verified" role="alert" data-testid="error">
                <Text size="sm">{failure.text}</Text>
                {failure.hint ? (
                  <List size="sm" mt={4}>
                    <List.Item>{failure.hint}</List.Item>
                  </List>
                ) : null}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button
                type="submit"
                loading={verify.isPending}
                disabled={!pem.trim()}
                data-testid="verification-submit"
              >
                Verify
              </Button>
            </Group>
          </Stack>
        </form>
      </Stack>
    </Card>
  );
};
