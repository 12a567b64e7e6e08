import {
  Button,
  Checkbox,
  Fieldset,
  Group,
  MultiSelect,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useAllChannels, useBootstrapBase } from '../bootstrap/bootstrap-api';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import {
  ENROLLMENT,
  type EnrollmentGroup,
  IDENTITY_SOURCES,
  INVENTORY_GROUP_PATTERN,
  parseTags,
  TEMPLATE_MODES,
  tagsToText,
} from './enrollment-api';
import { useAllCas, useAllGroups, useAllWebhooks } from './enrollment-lookups';
import { caLabel } from './pki-api';

const EXAMPLE_CONTENT = '{"mqtt": "mqtts://broker.example.com", "id": "{{identity.DeviceId}}"}';

/** Create (no `group`) or edit an enrollment group; one group per CA. */
export const GroupForm = ({
  group,
  initialCaId,
  onDone,
  onCancel,
}: {
  group?: EnrollmentGroup;
  initialCaId?: string;
  onDone: (g: EnrollmentGroup) => void;
  onCancel: () => void;
}) => {
  const qc = useQueryClient();
  const cas = useAllCas();
  const groups = useAllGroups();
  const webhooks = useAllWebhooks();
  const channels = useAllChannels();
  const bootstrapBase = useBootstrapBase();

  const [name, setName] = useState(group?.name ?? '');
  const [caId, setCaId] = useState<string | null>(group?.ca_id ?? initialCaId ?? null);
  const [enabled, setEnabled] = useState(group?.enabled ?? true);
  const [attribute, setAttribute] = useState(group?.identity.attribute ?? 'DeviceId');
  const [source, setSource] = useState<string>(group?.identity.source ?? 'cn');
  const [inventoryGroup, setInventoryGroup] = useState(group?.inventory_group ?? '');
  const [tagsText, setTagsText] = useState(tagsToText(group?.tags));
  const [withBootstrap, setWithBootstrap] = useState(group ? group.bootstrap !== null : false);
  const [content, setContent] = useState(group?.bootstrap?.content ?? '');
  const [template, setTemplate] = useState<string>(group?.bootstrap?.content_template ?? 'json');
  const [bsChannels, setBsChannels] = useState<string[]>(group?.bootstrap?.channels ?? []);
  const [bsActive, setBsActive] = useState(group?.bootstrap?.active ?? true);
  const heldNow = group?.bootstrap?.held;
  const [bsHeld, setBsHeld] = useState<string>(
    heldNow === true ? 'held' : heldNow === false ? 'delivers' : 'default',
  );
  const [webhookId, setWebhookId] = useState<string | null>(group?.allocation_webhook_id ?? null);

  const taken = new Set((groups.data ?? []).filter((g) => g.id !== group?.id).map((g) => g.ca_id));
  const caOptions = (cas.data ?? []).map((ca) => ({
    value: ca.id,
    label: `${caLabel(ca)}${ca.status === 'verified' ? '' : ' (unverified)'}${ca.kind === 'builtin' ? ' (built-in)' : ''}`,
    disabled: taken.has(ca.id),
  }));
  const tags = parseTags(tagsText);
  const groupError =
    inventoryGroup.trim() && !INVENTORY_GROUP_PATTERN.test(inventoryGroup.trim())
      ? 'Letters, digits, - and _ only'
      : null;
  let contentError: string | null = null;
  if (withBootstrap && template === 'none' && content.trim().startsWith('{')) {
    try {
      JSON.parse(content);
    } catch {
      contentError = 'This looks like JSON but does not parse; devices get it exactly as written.';
    }
  }

  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        ca_id: caId,
        enabled,
        identity: { attribute: attribute.trim() || 'DeviceId', source },
        inventory_group: inventoryGroup.trim() || null,
        tags: tags.tags,
        bootstrap: withBootstrap
          ? {
              content,
              content_template: template,
              channels: bsChannels,
              active: bsActive,
              // PATCH replaces the whole template: send the hold too, or it would fall back to the default.
              held: bsHeld === 'default' ? null : bsHeld === 'held',
            }
          : null,
        allocation_webhook_id: webhookId,
      };
      return group
        ? api<EnrollmentGroup>(`${ENROLLMENT}/groups/${group.id}`, { method: 'PATCH', body })
        : api<EnrollmentGroup>(`${ENROLLMENT}/groups`, { method: 'POST', body });
    },
    onSuccess: (g) => {
      void qc.invalidateQueries({ queryKey: ['enrollment'] });
      onDone(g);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const invalid = !name.trim() || !caId || tags.error !== null || groupError !== null;

  return (
    <form onSubmit={submit} aria-label={group ? 'Edit enrollment group' : 'Create enrollment group'}>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label="Name"
            required
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid="group-name"
          />
          <Select
            label="CA"
            description="Devices whose certificates chain to this CA"
            required
            data={caOptions}
            value={caId}
            onChange={setCaId}
            searchable
            nothingFoundMessage={cas.isPending ? 'Loading…' : 'No CA: register one under Certificates'}
            data-testid="group-ca"
          />
        </SimpleGrid>
        <Switch
          label="Enabled (a disabled group refuses every device of its CA)"
          checked={enabled}
          onChange={(e) => setEnabled(e.currentTarget.checked)}
          data-testid="group-enabled"
        />
        <Fieldset legend="Identity">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Identity attribute"
              value={attribute}
              onChange={(e) => setAttribute(e.currentTarget.value)}
              maxLength={128}
              data-testid="group-identity-attribute"
            />
            <Select
              label="Taken from the certificate's"
              data={IDENTITY_SOURCES}
              value={source}
              onChange={(v) => setSource(v ?? 'cn')}
              allowDeselect={false}
              data-testid="group-identity-source"
            />
          </SimpleGrid>
          <Text size="xs" c="dimmed" mt={4}>
            Its value is the device's registration id, e.g. {`{"${attribute || 'DeviceId'}": "sensor-0042"}`}.
          </Text>
        </Fieldset>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput
            label="Inventory group"
            description="Static group admitted devices join (optional)"
            value={inventoryGroup}
            onChange={(e) => setInventoryGroup(e.currentTarget.value)}
            error={groupError}
            data-testid="group-inventory-group"
          />
          <Select
            label="Allocation webhook"
            description="Asked before each admission (optional)"
            data={(webhooks.data ?? []).map((w) => ({ value: w.id, label: w.description || w.url }))}
            value={webhookId}
            onChange={setWebhookId}
            clearable
            placeholder="None"
            data-testid="group-webhook"
          />
        </SimpleGrid>
        <Textarea
          label="Tags"
          description="One name=value a line, up to 20"
          value={tagsText}
          onChange={(e) => setTagsText(e.currentTarget.value)}
          error={tags.error}
          autosize
          minRows={2}
          placeholder={'site=north\nline=7'}
          data-testid="group-tags"
        />
        <Checkbox
          label="Create a bootstrap config for each admitted device"
          checked={withBootstrap}
          onChange={(e) => setWithBootstrap(e.currentTarget.checked)}
          data-testid="group-bootstrap-enabled"
        />
        {withBootstrap ? (
          <Fieldset legend="Bootstrap config template">
            <Stack gap="sm">
              <Select
                label="Content is"
                data={TEMPLATE_MODES}
                value={template}
                onChange={(v) => setTemplate(v ?? 'none')}
                allowDeselect={false}
                data-testid="group-bootstrap-template"
              />
              <Textarea
                label="Content"
                description="Placeholders such as {{identity.DeviceId}}, {{tags.site}}, {{device.id}} are filled in per device"
                value={content}
                onChange={(e) => setContent(e.currentTarget.value)}
                autosize
                minRows={3}
                maxRows={12}
                placeholder={EXAMPLE_CONTENT}
                error={contentError}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
                data-testid="group-bootstrap-content"
              />
              <MultiSelect
                label="Channels"
                data={(channels.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
                value={bsChannels}
                onChange={setBsChannels}
                searchable
                disabled={bootstrapBase === null}
                nothingFoundMessage="No channels: create them under Bootstrap"
                data-testid="group-bootstrap-channels"
              />
              <Switch
                label="Config connected to its channels at creation (state 1)"
                checked={bsActive}
                onChange={(e) => setBsActive(e.currentTarget.checked)}
              />
              <Select
                label="Delivery of the created config"
                data={[
                  { value: 'default', label: "The tenant's default for new configs" },
                  { value: 'delivers', label: 'Delivers at once' },
                  { value: 'held', label: 'Held until released' },
                ]}
                value={bsHeld}
                onChange={(v) => setBsHeld(v ?? 'default')}
                allowDeselect={false}
                data-testid="group-bootstrap-held"
              />
            </Stack>
          </Fieldset>
        ) : null}
        <ErrorNote error={save.error} title="The enrollment group was not saved" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={invalid} data-testid="group-submit">
            {group ? 'Save' : 'Create group'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
};
