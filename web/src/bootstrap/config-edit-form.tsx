import {
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  MultiSelect,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { PemInput } from '../certificates/pem-input';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import { type BootstrapConfig, useAllChannels } from './bootstrap-api';
import { ContentInput, TEMPLATE_MODES } from './content-input';

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Edit a config: name/content/template (PUT config), channels (PUT connections), linked device
 * (PUT device), and optionally replace all three certificate fields (PATCH certs).
 */
export const ConfigEditForm = ({
  base,
  config,
  onDone,
}: {
  base: string;
  config: BootstrapConfig;
  onDone: () => void;
}) => {
  const qc = useQueryClient();
  const channels = useAllChannels();
  const initialChannels = config.channels.map((c) => c.id);
  const [name, setName] = useState(config.name ?? '');
  const [content, setContent] = useState(config.content ?? '');
  const [template, setTemplate] = useState<string>(config.content_template);
  const [chs, setChs] = useState<string[]>(initialChannels);
  const [deviceId, setDeviceId] = useState(config.device_id ?? '');
  const [replaceCerts, setReplaceCerts] = useState(false);
  const [clientCert, setClientCert] = useState(config.client_cert ?? '');
  const [clientKey, setClientKey] = useState('');
  const [caCert, setCaCert] = useState(config.ca_cert ?? '');
  const [saved, setSaved] = useState<string[]>([]);

  const path = `${base}/clients/configs`;
  const save = useMutation({
    mutationFn: async () => {
      const done: string[] = [];
      setSaved(done);
      if (
        name !== (config.name ?? '') ||
        content !== (config.content ?? '') ||
        template !== config.content_template
      ) {
        await api(`${path}/${config.client_id}`, {
          method: 'PUT',
          body: { name, content, content_template: template },
        });
        done.push('name and content');
      }
      if (!sameSet(chs, initialChannels)) {
        await api(`${path}/connections/${config.client_id}`, { method: 'PUT', body: { channels: chs } });
        done.push('channels');
      }
      if (deviceId.trim() !== (config.device_id ?? '')) {
        await api(`${path}/${config.client_id}/device`, {
          method: 'PUT',
          body: { device_id: deviceId.trim() || null },
        });
        done.push('device link');
      }
      if (replaceCerts) {
        const opt = (k: string, v: string) => (v.trim() ? { [k]: v.trim() } : {});
        await api(`${path}/certs/${config.client_id}`, {
          method: 'PATCH',
          body: {
            ...opt('client_cert', clientCert),
            ...opt('client_key', clientKey),
            ...opt('ca_cert', caCert),
          },
        });
        done.push('certificates');
      }
      return done;
    },
    onSettled: (done) => {
      if (done) setSaved(done);
      void qc.invalidateQueries({ queryKey: ['bootstrap', 'configs'] });
    },
    onSuccess: () => onDone(),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Edit bootstrap config">
      <Stack>
        <Text size="sm" c="dimmed">
          External id{' '}
          <Text span ff="monospace">
            {config.external_id}
          </Text>{' '}
          (its key cannot be changed or shown: to give the device a new key, create a new config).
        </Text>
        <TextInput
          label="Name"
          maxLength={256}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          data-testid="bootstrap-edit-name"
        />
        <Select
          label="Content is"
          data={TEMPLATE_MODES}
          value={template}
          onChange={(v) => setTemplate(v ?? 'none')}
          allowDeselect={false}
        />
        <ContentInput
          value={content}
          onChange={setContent}
          template={template}
          testId="bootstrap-edit-content"
        />
        <MultiSelect
          label="Channels"
          data={(channels.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
          value={chs}
          onChange={setChs}
          searchable
          nothingFoundMessage="No channels yet: create them in the Channels tab"
          data-testid="bootstrap-edit-channels"
        />
        <TextInput
          label="Linked Gatehouse device id"
          description="Empty: not linked"
          value={deviceId}
          onChange={(e) => setDeviceId(e.currentTarget.value)}
          data-testid="bootstrap-edit-device-id"
        />
        <Checkbox
          label="Replace the client certificate, key and CA certificate"
          checked={replaceCerts}
          onChange={(e) => setReplaceCerts(e.currentTarget.checked)}
        />
        {replaceCerts ? (
          <Fieldset legend="Certificates (all three are replaced; an empty field removes it)">
            <Stack>
              {config.has_client_key ? (
                <Alert color="yellow">
                  The config has a client key, which cannot be shown. Paste it again (or a new one) to keep
                  one.
                </Alert>
              ) : null}
              <PemInput label="Client certificate" value={clientCert} onChange={setClientCert} minRows={3} />
              <PemInput
                label="Client private key"
                value={clientKey}
                onChange={setClientKey}
                derLabel="PRIVATE KEY"
                minRows={3}
              />
              <PemInput label="CA certificate(s)" value={caCert} onChange={setCaCert} minRows={3} />
            </Stack>
          </Fieldset>
        ) : null}
        {save.error && saved.length ? (
          <Text size="sm">Saved before the error: {saved.join(', ')}.</Text>
        ) : null}
        <ErrorNote error={save.error} title="Not everything was saved" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} data-testid="bootstrap-config-save">
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
};
