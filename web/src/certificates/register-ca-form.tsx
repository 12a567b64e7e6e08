import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import { PemInput } from './pem-input';
import { type Ca, PKI, pkiKeys } from './pki-api';

/** "Register a CA": name + PEM → POST /pki/cas → the CA page, to prove possession of its key. */
export const RegisterCaButton = () => {
  const [open, setOpen] = useState(false);
  const phone = useMediaQuery('(max-width: 48em)');
  return (
    <>
      <Button onClick={() => setOpen(true)} data-testid="ca-register-open">
        Register a CA
      </Button>
      <Modal
        opened={open}
        onClose={() => setOpen(false)}
        title="Register a device CA"
        size="lg"
        fullScreen={phone}
      >
        <RegisterCaForm onCancel={() => setOpen(false)} />
      </Modal>
    </>
  );
};

const RegisterCaForm = ({ onCancel }: { onCancel: () => void }) => {
  const [name, setName] = useState('');
  const [pem, setPem] = useState('');
  const qc = useQueryClient();
  const navigate = useNavigate();
  const register = useMutation({
    mutationFn: () =>
      api<Ca>(`${PKI}/cas`, {
        method: 'POST',
        body: { certificate: pem.trim(), ...(name.trim() ? { name: name.trim() } : {}) },
      }),
    onSuccess: (ca) => {
      qc.setQueryData(pkiKeys.ca(ca.id), ca);
      void qc.invalidateQueries({ queryKey: ['pki', 'cas'] });
      // void: navigate() returns nothing under BrowserRouter (the Promise is for data routers).
      void navigate(`/certificates/cas/${ca.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    register.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Register a CA">
      <Stack>
        <Text size="sm">
          The certificate of the root or intermediate CA that signs your devices' certificates. Only the
          certificate: never upload the CA's private key. After registering, you prove that you hold the key
          by signing a short-lived certificate with it.
        </Text>
        <TextInput
          label="Name"
          description="For you to recognise it, e.g. “factory line 2 root”. Optional."
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          maxLength={200}
          data-testid="ca-name"
        />
        <PemInput label="CA certificate (PEM)" value={pem} onChange={setPem} required testId="ca-pem" />
        <ErrorNote error={register.error} title="The CA was not registered" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={register.isPending} disabled={!pem.trim()} data-testid="ca-submit">
            Register and continue
          </Button>
        </Group>
      </Stack>
    </form>
  );
};
