import {
  Accordion,
  Alert,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { CopyBlock, CopyValue } from '../certificates/copy-block';
import { PemInput } from '../certificates/pem-input';
import { api, apiRaw } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import { randomKey, useAllChannels } from './bootstrap-api';
import { ContentInput, TEMPLATE_MODES } from './content-input';

interface Created {
  id: string | null;
  externalId: string;
  externalKey: string;
  /** null: the tenant's default decided (read back from the created config). */
  held: boolean | null;
}

/** What the operator must keep after creating: the external key (stored hashed, never shown again). */
const CreatedPanel = ({ base, created, onDone }: { base: string; created: Created; onDone: () => void }) => {
  const qc = useQueryClient();
  const enable = useMutation({
    mutationFn: () => api(`${base}/clients/state/${created.id}`, { method: 'PUT', body: { state: 1 } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['bootstrap', 'configs'] }),
  });
  const fetchCmd = `curl -H 'Authorization: Client ${created.externalKey}' \\\n  ${window.location.origin}/bootstrap/clients/bootstrap/${encodeURIComponent(created.externalId)}`;
  return (
    <Stack>
      <Alert color="green" title="Config created" data-testid="bootstrap-config-created">
        {created.held
          ? 'Held: it delivers nothing until you release it (the Delivery switch in the list).'
          : 'It delivers at once. Its client is connected to its channels once you connect it (state 1).'}
      </Alert>
      <Alert color="yellow" title="External key: copy it now, it is not shown again">
        <Group gap="xs" wrap="wrap">
          <Text
            ff="monospace"
            size="sm"
            style={{ wordBreak: 'break-all' }}
            data-testid="bootstrap-created-key"
          >
            {created.externalKey}
          </Text>
          <CopyValue value={created.externalKey} />
        </Group>
        <Text size="xs" mt={4}>
          Gatehouse stores it only hashed and sealed. Put it on the device with its external id.
        </Text>
      </Alert>
      <CopyBlock label="The device fetches its config with" text={fetchCmd} />
      <ErrorNote error={enable.error} title="Not connected" />
      <Group justify="flex-end">
        {created.id && !enable.isSuccess ? (
          <Button
            variant="light"
            color="green"
            loading={enable.isPending}
            onClick={() => enable.mutate()}
            data-testid="bootstrap-config-enable-now"
          >
            Connect now
          </Button>
        ) : null}
        {enable.isSuccess ? <Text size="sm">Connected.</Text> : null}
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
};

/** Create a bootstrap config: POST /bootstrap/{tenant}/clients/configs (201, id in Location). */
export const ConfigCreateForm = ({ base, onDone }: { base: string; onDone: () => void }) => {
  const qc = useQueryClient();
  const channels = useAllChannels();
  const [externalId, setExternalId] = useState('');
  const [externalKey, setExternalKey] = useState('');
  const [name, setName] = useState('');
  const [content, setContent] = useState('');
  const [template, setTemplate] = useState<string>('none');
  const [chs, setChs] = useState<string[]>([]);
  const [deviceId, setDeviceId] = useState('');
  const [held, setHeld] = useState(false);
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [clientCert, setClientCert] = useState('');
  const [clientKey, setClientKey] = useState('');
  const [caCert, setCaCert] = useState('');
  const [created, setCreated] = useState<Created | null>(null);

  const create = useMutation({
    mutationFn: async () => {
      const opt = (k: string, v: string) => (v.trim() ? { [k]: v.trim() } : {});
      const r = await apiRaw(`${base}/clients/configs`, {
        method: 'POST',
        body: {
          external_id: externalId.trim(),
          external_key: externalKey,
          channels: chs,
          ...opt('name', name),
          ...(content ? { content } : {}),
          content_template: template,
          ...opt('device_id', deviceId),
          // Unchecked: the tenant's default for new configs (GET .../settings) decides.
          ...(held ? { held: true } : {}),
          ...opt('client_id', clientId),
          ...opt('client_secret', clientSecret),
          ...opt('client_cert', clientCert),
          ...opt('client_key', clientKey),
          ...opt('ca_cert', caCert),
        },
      });
      const id = (r.headers.get('location') ?? '').split('/').pop() || null;
      const view = id ? await api<{ held: boolean }>(`${base}/clients/configs/${id}`) : null;
      return { id, externalId: externalId.trim(), externalKey, held: view ? view.held : null };
    },
    onSuccess: (c) => {
      setCreated(c);
      void qc.invalidateQueries({ queryKey: ['bootstrap', 'configs'] });
    },
  });

  if (created) return <CreatedPanel base={base} created={created} onDone={onDone} />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Create a bootstrap config">
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label="External id"
            description="What the device knows itself by (its MAC, a serial); unique in the tenant"
            required
            maxLength={256}
            value={externalId}
            onChange={(e) => setExternalId(e.currentTarget.value)}
            data-testid="bootstrap-external-id"
          />
          <TextInput
            label="Name"
            description="Optional, unique in the tenant"
            maxLength={256}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid="bootstrap-name"
          />
        </SimpleGrid>
        <div>
          <Group align="flex-end" gap="xs" wrap="nowrap">
            <TextInput
              label="External key"
              description="The device's secret for fetching its config"
              required
              maxLength={1024}
              value={externalKey}
              onChange={(e) => setExternalKey(e.currentTarget.value)}
              style={{ flex: 1 }}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              data-testid="bootstrap-external-key"
            />
            <Button
              variant="default"
              onClick={() => setExternalKey(randomKey())}
              data-testid="bootstrap-external-key-generate"
            >
              Generate
            </Button>
          </Group>
          <Text size="xs" c="dimmed" mt={4}>
            Stored only hashed and sealed: after you create the config, nobody can read it back. Copy it for
            the device.
          </Text>
        </div>
        <Select
          label="Content is"
          data={TEMPLATE_MODES}
          value={template}
          onChange={(v) => setTemplate(v ?? 'none')}
          allowDeselect={false}
          data-testid="bootstrap-content-template"
        />
        <ContentInput value={content} onChange={setContent} template={template} testId="bootstrap-content" />
        <MultiSelect
          label="Channels"
          data={(channels.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
          value={chs}
          onChange={setChs}
          searchable
          nothingFoundMessage={
            channels.isPending ? 'Loading…' : 'No channels yet: create them in the Channels tab'
          }
          data-testid="bootstrap-channels"
        />
        <TextInput
          label="Gatehouse device id"
          description="Optional: link an accepted device (it can then fetch the config with its device token, and templates see its attributes)"
          value={deviceId}
          onChange={(e) => setDeviceId(e.currentTarget.value)}
          data-testid="bootstrap-device-id"
        />
        <Checkbox
          label="Hold it: deliver nothing until released"
          description="Unchecked: it delivers at once, unless the tenant holds new configs by default"
          checked={held}
          onChange={(e) => setHeld(e.currentTarget.checked)}
          data-testid="bootstrap-held"
        />
        <Accordion variant="contained">
          <Accordion.Item value="advanced">
            <Accordion.Control>Client credentials and certificates (optional)</Accordion.Control>
            <Accordion.Panel>
              <Stack>
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  <TextInput
                    label="Client id"
                    description="A UUID; generated when empty"
                    value={clientId}
                    onChange={(e) => setClientId(e.currentTarget.value)}
                  />
                  <PasswordInput
                    label="Client secret"
                    description="Generated when empty"
                    value={clientSecret}
                    onChange={(e) => setClientSecret(e.currentTarget.value)}
                  />
                </SimpleGrid>
                <PemInput
                  label="Client certificate"
                  value={clientCert}
                  onChange={setClientCert}
                  minRows={3}
                />
                <PemInput
                  label="Client private key"
                  description="Stored sealed; delivered to the device, never shown here again"
                  value={clientKey}
                  onChange={setClientKey}
                  derLabel="PRIVATE KEY"
                  minRows={3}
                />
                <PemInput label="CA certificate(s)" value={caCert} onChange={setCaCert} minRows={3} />
              </Stack>
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
        <ErrorNote error={create.error} title="The config was not created" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button
            type="submit"
            loading={create.isPending}
            disabled={!externalId.trim() || !externalKey}
            data-testid="bootstrap-config-submit"
          >
            Create config
          </Button>
        </Group>
      </Stack>
    </form>
  );
};
