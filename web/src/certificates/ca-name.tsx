import { Button, Group, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import { type Ca, PKI, pkiKeys } from './pki-api';

/** The CA's name, renamed in place (PUT /pki/cas/{id} {name}). */
export const CaName = ({ ca, canWrite }: { ca: Ca; canWrite: boolean }) => {
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(ca.name ?? '');
  const rename = useMutation({
    mutationFn: () => api<Ca>(`${PKI}/cas/${ca.id}`, { method: 'PUT', body: { name: name.trim() } }),
    onSuccess: (next) => {
      qc.setQueryData(pkiKeys.ca(ca.id), next);
      void qc.invalidateQueries({ queryKey: ['pki', 'cas'] });
      setEditing(false);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    rename.mutate();
  };
  if (!editing)
    return (
      <Group gap="xs">
        <Text size="sm">
          <Text span c="dimmed" size="sm">
            Name:{' '}
          </Text>
          {ca.name ?? (
            <Text span c="dimmed" size="sm">
              none
            </Text>
          )}
        </Text>
        {canWrite ? (
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={() => {
              setName(ca.name ?? '');
              setEditing(true);
            }}
          >
            Rename
          </Button>
        ) : null}
      </Group>
    );
  return (
    <form onSubmit={submit} aria-label="Rename the CA">
      <Group align="flex-end" gap="xs">
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          maxLength={200}
          autoFocus
        />
        <Button type="submit" loading={rename.isPending}>
          Save
        </Button>
        <Button variant="default" onClick={() => setEditing(false)}>
          Cancel
        </Button>
      </Group>
      <ErrorNote error={rename.error} title="Not renamed" />
    </form>
  );
};
