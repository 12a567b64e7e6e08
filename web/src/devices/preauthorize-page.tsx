import { ActionIcon, Alert, Anchor, Button, Code, Group, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, apiRaw } from '../shared/api';
import { useAuth } from '../shared/auth';
import { ErrorNote, PageTitle } from '../shared/ui';
import { DEVICES_PATH } from './devices-api';
import { KeyInput } from './preauth-key-input';

interface Attr {
  name: string;
  value: string;
}

/** What a 409 means, in the operator's terms. */
type Conflict =
  | { kind: 'identity'; deviceId: string; status?: string }
  | { kind: 'key'; deviceId: string | null }
  | { kind: 'other'; message: string };

const conflictOf = (e: unknown): Conflict | null => {
  if (!(e instanceof ApiError) || e.status !== 409) return null;
  const body = (e.body ?? {}) as { id?: unknown; status?: unknown };
  if (typeof body.id === 'string')
    return {
      kind: 'identity',
      deviceId: body.id,
      status: typeof body.status === 'string' ? body.status : undefined,
    };
  const key = /key is already in use by device ([0-9a-f-]+)/i.exec(e.message);
  if (key) return { kind: 'key', deviceId: key[1] ?? null };
  return { kind: 'other', message: e.message };
};

const ConflictNote = ({
  conflict,
  onForce,
  forcing,
}: {
  conflict: Conflict;
  onForce: () => void;
  forcing: boolean;
}) => {
  if (conflict.kind === 'identity')
    return (
      <Alert color="orange" title="This identity already exists" data-testid="preauth-conflict">
        <Stack gap="xs">
          <Text size="sm">
            A device with exactly these identity attributes is already known:{' '}
            <Anchor
              component={Link}
              to={`/devices/${conflict.deviceId}`}
              ff="monospace"
              data-testid="preauth-existing"
            >
              {conflict.deviceId}
            </Anchor>
            {conflict.status ? ` (${conflict.status})` : ''}. If that device is getting a new key, add this
            key to it: it is admitted with the new key at its next auth request, and its current key is
            rejected then (key rotation).
          </Text>
          <Group>
            <Button color="orange" onClick={onForce} loading={forcing} data-testid="preauth-force">
              Add this key to the existing device (key rotation)
            </Button>
          </Group>
        </Stack>
      </Alert>
    );
  if (conflict.kind === 'key')
    return (
      <Alert color="red" title="This key belongs to another device" data-testid="preauth-conflict">
        A key can belong to one device only, and this one is already held by{' '}
        {conflict.deviceId ? (
          <Anchor
            component={Link}
            to={`/devices/${conflict.deviceId}`}
            ff="monospace"
            data-testid="preauth-existing"
          >
            {conflict.deviceId}
          </Anchor>
        ) : (
          'another device'
        )}
        . Use the device's own key, or dismiss the key on that device first.
      </Alert>
    );
  return <ErrorNote error={new Error(`Conflict: ${conflict.message}`)} title="Not preauthorized" />;
};

export default function PreauthorizePage() {
  const { canWrite } = useAuth();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [attrs, setAttrs] = useState<Attr[]>([{ name: '', value: '' }]);
  const [pubkey, setPubkey] = useState('');
  const [checkError, setCheckError] = useState<string | null>(null);
  // Kept while the rotation is resent, so the explanation stays on screen.
  const [conflict, setConflict] = useState<Conflict | null>(null);

  const submit = useMutation({
    mutationFn: async ({ force }: { force: boolean }) => {
      const identity = Object.fromEntries(
        attrs.filter((a) => a.name.trim()).map((a) => [a.name.trim(), a.value]),
      );
      const r = await apiRaw(DEVICES_PATH, {
        method: 'POST',
        body: { identity_data: identity, pubkey: pubkey.trim(), ...(force ? { force: true } : {}) },
      });
      return /devices\/([^/?#]+)\s*$/.exec(r.headers.get('location') ?? '')?.[1] ?? null;
    },
    onError: (e) => setConflict(conflictOf(e)),
    onSuccess: (id) => {
      void qc.invalidateQueries({ queryKey: ['devices'] });
      void qc.invalidateQueries({ queryKey: ['counts'] });
      void qc.invalidateQueries({ queryKey: ['device'] });
      // void: navigate() returns nothing under BrowserRouter (the Promise is for data routers).
      if (id) void navigate(`/devices/${id}`, { state: { preauthorized: true } });
      else void navigate('/devices?status=preauthorized');
    },
  });

  const check = (): string | null => {
    const named = attrs.filter((a) => a.name.trim());
    if (named.length === 0) return 'Give at least one identity attribute (e.g. mac).';
    const names = named.map((a) => a.name.trim());
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) return `The attribute ${dup} is given twice.`;
    if (named.some((a) => a.value.trim() === '')) return 'Every identity attribute needs a value.';
    if (!pubkey.includes('-----BEGIN'))
      return 'Paste the public key in PEM form (-----BEGIN PUBLIC KEY----- …).';
    return null;
  };

  const send = (force: boolean) => {
    const problem = check();
    setCheckError(problem);
    if (!force) setConflict(null);
    if (!problem) submit.mutate({ force });
  };

  const set = (i: number, patch: Partial<Attr>) =>
    setAttrs(attrs.map((a, j) => (j === i ? { ...a, ...patch } : a)));

  return (
    <>
      <Text size="sm" mb={4}>
        <Anchor component={Link} to="/devices?status=preauthorized" size="sm">
          ← Devices
        </Anchor>
      </Text>
      <PageTitle>Preauthorize a device</PageTitle>
      {!canWrite ? (
        <Alert color="gray" title="Read-only" mb="md">
          Your account can look but not change: ask an administrator to preauthorize devices.
        </Alert>
      ) : (
        <Paper withBorder radius="md" p="md" maw={760}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              send(false);
            }}
          >
            <Stack gap="md">
              <Text size="sm" c="dimmed">
                A preauthorized device is let in at its first auth request, without waiting in Pending, if it
                presents exactly this identity and this key.
              </Text>
              <Stack gap={6}>
                <Text size="sm" fw={500}>
                  Identity attributes
                </Text>
                {attrs.map((a, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; their position is their identity
                  <Group key={i} gap="xs" wrap="nowrap" align="flex-start">
                    <TextInput
                      aria-label={`Attribute ${i + 1} name`}
                      placeholder="name, e.g. mac"
                      value={a.name}
                      onChange={(e) => set(i, { name: e.currentTarget.value })}
                      data-testid={`preauth-attr-name-${i}`}
                      style={{ flex: '1 1 0' }}
                      autoFocus={i === 0}
                    />
                    <TextInput
                      aria-label={`Attribute ${i + 1} value`}
                      placeholder="value, e.g. 00:11:22:33:44:55"
                      value={a.value}
                      onChange={(e) => set(i, { value: e.currentTarget.value })}
                      data-testid={`preauth-attr-value-${i}`}
                      style={{ flex: '2 1 0' }}
                      ff="monospace"
                    />
                    <ActionIcon
                      variant="subtle"
                      color="gray"
                      size="lg"
                      aria-label={`Remove attribute ${i + 1}`}
                      disabled={attrs.length === 1}
                      onClick={() => setAttrs(attrs.filter((_, j) => j !== i))}
                      data-testid={`preauth-attr-remove-${i}`}
                    >
                      ×
                    </ActionIcon>
                  </Group>
                ))}
                <Group>
                  <Button
                    size="compact-sm"
                    variant="subtle"
                    onClick={() => setAttrs([...attrs, { name: '', value: '' }])}
                    data-testid="preauth-attr-add"
                  >
                    + Add attribute
                  </Button>
                </Group>
                <Text size="xs" c="dimmed">
                  Exactly the attributes the device sends (its identity script's output), e.g.{' '}
                  <Code fz="xs">mac</Code>, <Code fz="xs">serial</Code>.
                </Text>
              </Stack>
              <KeyInput value={pubkey} onChange={setPubkey} />
              {checkError ? (
                <Alert color="red" data-testid="preauth-invalid">
                  {checkError}
                </Alert>
              ) : null}
              {conflict ? (
                <ConflictNote conflict={conflict} onForce={() => send(true)} forcing={submit.isPending} />
              ) : null}
              {conflictOf(submit.error) ? null : <ErrorNote error={submit.error} title="Not preauthorized" />}
              <Group justify="flex-end">
                <Button variant="default" component={Link} to="/devices">
                  Cancel
                </Button>
                <Button type="submit" loading={submit.isPending && !conflict} data-testid="preauth-submit">
                  Preauthorize
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      )}
    </>
  );
}
