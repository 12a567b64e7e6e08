import { Alert, Button, Group, Modal, NumberInput, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { formatTime } from '../shared/format';
import { ErrorNote } from '../shared/ui';
import { CopyBlock } from './copy-block';
import { PemInput } from './pem-input';
import { formatDn, type IssuedCertificate, PKI } from './pki-api';

const CSR_EXAMPLE = `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \\
  -keyout device.key -subj "/CN=device-0001" -out device.csr`;

/** Paste (or drop) a CSR → POST /pki/certificates → the certificate, to copy or download. */
export const IssueFromCsrButton = () => {
  const [open, setOpen] = useState(false);
  const phone = useMediaQuery('(max-width: 48em)');
  const [csr, setCsr] = useState('');
  const [days, setDays] = useState<number | string>('');
  const qc = useQueryClient();
  const issue = useMutation({
    mutationFn: () =>
      api<IssuedCertificate>(`${PKI}/certificates`, {
        method: 'POST',
        body: { csr: csr.trim(), ...(typeof days === 'number' ? { validity_days: days } : {}) },
      }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['pki', 'certificates'] }),
  });
  const close = () => {
    setOpen(false);
    setCsr('');
    issue.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    issue.mutate();
  };
  const cert = issue.data;
  return (
    <>
      <Button onClick={() => setOpen(true)} data-testid="cert-issue-open">
        Issue from a CSR
      </Button>
      <Modal opened={open} onClose={close} title="Issue a device certificate" size="lg" fullScreen={phone}>
        {cert ? (
          <Stack>
            <Alert color="green" title="Certificate issued">
              {formatDn(cert.subject)}, serial {cert.serial}, valid until {formatTime(cert.not_after)}.
            </Alert>
            <CopyBlock
              label="Certificate (PEM)"
              text={cert.certificate.trim()}
              filename={`${cert.cn ?? cert.serial}.pem`}
              testId="issued-certificate"
            />
            <Group justify="flex-end">
              <Button
                variant="default"
                onClick={() => {
                  setCsr('');
                  issue.reset();
                }}
              >
                Issue another
              </Button>
              <Button onClick={close}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={submit} aria-label="Issue a certificate from a CSR">
            <Stack>
              <Text size="sm">
                The device keeps its private key; you paste its certificate signing request (PKCS#10). For
                example:
              </Text>
              <CopyBlock text={CSR_EXAMPLE} />
              <PemInput
                label="Certificate signing request"
                value={csr}
                onChange={setCsr}
                derLabel="CERTIFICATE REQUEST"
                required
                testId="csr-pem"
              />
              <NumberInput
                label="Validity (days)"
                description="Empty: the built-in CA's default"
                min={1}
                max={3650}
                value={days}
                onChange={setDays}
                allowDecimal={false}
                data-testid="cert-validity"
              />
              <ErrorNote error={issue.error} title="No certificate was issued" />
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>
                  Cancel
                </Button>
                <Button
                  type="submit"
                  loading={issue.isPending}
                  disabled={!csr.trim()}
                  data-testid="cert-issue-submit"
                >
                  Issue certificate
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
};
