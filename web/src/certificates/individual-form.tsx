import { Button, Group, Select, SimpleGrid, Stack, Switch, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import {
  ENROLLMENT,
  INVENTORY_GROUP_PATTERN,
  type IndividualEnrollment,
  parseTags,
  tagsToText,
} from './enrollment-api';
import { useAllGroups } from './enrollment-lookups';

const FINGERPRINT = /^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/;

/** Create (no `item`) or edit an individual enrollment: one registration id, with overrides. */
export const IndividualForm = ({
  item,
  onDone,
  onCancel,
}: {
  item?: IndividualEnrollment;
  onDone: () => void;
  onCancel: () => void;
}) => {
  const qc = useQueryClient();
  const groups = useAllGroups();
  const [registrationId, setRegistrationId] = useState(item?.registration_id ?? '');
  const [enabled, setEnabled] = useState(item?.enabled ?? true);
  const [groupId, setGroupId] = useState<string | null>(item?.group_id ?? null);
  const [fingerprint, setFingerprint] = useState(item?.certificate_fingerprint ?? '');
  const [inventoryGroup, setInventoryGroup] = useState(item?.inventory_group ?? '');
  const [tagsText, setTagsText] = useState(tagsToText(item?.tags));
  const tags = parseTags(tagsText);
  const fpError =
    fingerprint.trim() && !FINGERPRINT.test(fingerprint.trim())
      ? 'SHA-256: 64 hex digits, colons allowed'
      : null;
  const groupError =
    inventoryGroup.trim() && !INVENTORY_GROUP_PATTERN.test(inventoryGroup.trim())
      ? 'Letters, digits, - and _ only'
      : null;

  const save = useMutation({
    mutationFn: () => {
      const body = {
        registration_id: registrationId.trim(),
        enabled,
        group_id: groupId,
        certificate_fingerprint: fingerprint.trim() || null,
        inventory_group: inventoryGroup.trim() || null,
        tags: Object.keys(tags.tags).length ? tags.tags : null,
      };
      return item
        ? api(`${ENROLLMENT}/individuals/${item.id}`, { method: 'PATCH', body })
        : api(`${ENROLLMENT}/individuals`, { method: 'POST', body });
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['enrollment'] });
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} aria-label={item ? 'Edit individual enrollment' : 'Create individual enrollment'}>
      <Stack>
        <TextInput
          label="Registration id"
          description="The value the device's group derives from its certificate (the CN by default)"
          required
          maxLength={256}
          value={registrationId}
          onChange={(e) => setRegistrationId(e.currentTarget.value)}
          data-testid="individual-registration-id"
        />
        <Switch
          label="Enabled (disabled: this device is refused)"
          checked={enabled}
          onChange={(e) => setEnabled(e.currentTarget.checked)}
          data-testid="individual-enabled"
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label="Only through group"
            description="Optional: admit it only via this group's CA"
            data={(groups.data ?? []).map((g) => ({ value: g.id, label: g.name }))}
            value={groupId}
            onChange={setGroupId}
            clearable
            placeholder="Any group"
            data-testid="individual-group"
          />
          <TextInput
            label="Only this certificate"
            description="Optional: SHA-256 fingerprint of the certificate"
            value={fingerprint}
            onChange={(e) => setFingerprint(e.currentTarget.value)}
            error={fpError}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
            data-testid="individual-fingerprint"
          />
          <TextInput
            label="Inventory group"
            description="Overrides the group's (optional)"
            value={inventoryGroup}
            onChange={(e) => setInventoryGroup(e.currentTarget.value)}
            error={groupError}
            data-testid="individual-inventory-group"
          />
          <Textarea
            label="Tags"
            description="name=value a line; merged over the group's"
            value={tagsText}
            onChange={(e) => setTagsText(e.currentTarget.value)}
            error={tags.error}
            autosize
            minRows={2}
            data-testid="individual-tags"
          />
        </SimpleGrid>
        <ErrorNote error={save.error} title="The individual enrollment was not saved" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button
            type="submit"
            loading={save.isPending}
            disabled={
              !registrationId.trim() || tags.error !== null || fpError !== null || groupError !== null
            }
            data-testid="individual-submit"
          >
            {item ? 'Save' : 'Create'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
};
