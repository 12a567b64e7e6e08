import {
  ActionIcon,
  Autocomplete,
  Badge,
  Button,
  Divider,
  Group,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { Section } from '../shared/section';
import { ConfirmButton, ErrorNote, Loading } from '../shared/ui';
import { useInventory } from './device-inventory';
import { INVENTORY, inventoryPath, keys } from './devices-api';

const GROUP_NAME = /^[A-Za-z0-9_-]{1,1024}$/;

const GroupEditor = ({ id }: { id: string }) => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const group = useQuery({
    queryKey: ['device', id, 'group'],
    queryFn: () => api<{ group: string | null }>(`${inventoryPath(id)}/group`),
    select: (r) => r.group,
  });
  const groups = useQuery({
    queryKey: keys.groups,
    queryFn: () => api<string[]>(`${INVENTORY}/groups`),
    enabled: canWrite,
    staleTime: 60_000,
  });
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState('');
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['device', id] }),
      qc.invalidateQueries({ queryKey: keys.groups }),
      qc.invalidateQueries({ queryKey: ['devices'] }),
    ]);
  const save = useMutation({
    mutationFn: (g: string) => api(`${inventoryPath(id)}/group`, { method: 'PUT', body: { group: g } }),
    onSuccess: async () => {
      await refresh();
      setEditing(false);
    },
  });
  const remove = useMutation({
    mutationFn: (g: string) =>
      api(`${inventoryPath(id)}/group/${encodeURIComponent(g)}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const current = group.data ?? null;
  const valid = GROUP_NAME.test(name.trim());

  if (group.isPending) return <Loading />;
  return (
    <Stack gap="xs">
      <ErrorNote error={group.error} title="The group could not be loaded" />
      <Group gap="xs" wrap="wrap">
        <Text size="sm" c="dimmed" w={60}>
          Group
        </Text>
        {current ? (
          <Badge
            component={Link}
            to={`/devices?status=accepted&group=${encodeURIComponent(current)}`}
            variant="light"
            style={{ cursor: 'pointer', textTransform: 'none' }}
            data-testid="device-group"
          >
            {current}
          </Badge>
        ) : (
          <Text size="sm" c="dimmed" data-testid="device-group">
            none
          </Text>
        )}
        {canWrite && !editing ? (
          <>
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => {
                setName(current ?? '');
                save.reset();
                setEditing(true);
              }}
              data-testid="device-group-edit"
            >
              {current ? 'Change' : 'Put into a group'}
            </Button>
            {current ? (
              <ConfirmButton
                size="compact-xs"
                variant="subtle"
                color="gray"
                label="Remove"
                title="Take the device out of its group?"
                message={`The device leaves group ${current}. Deployments to that group no longer reach it.`}
                confirmLabel="Remove from group"
                testId="device-group-remove"
                onConfirm={() => remove.mutateAsync(current)}
              />
            ) : null}
          </>
        ) : null}
      </Group>
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (valid) save.mutate(name.trim());
          }}
        >
          <Group gap="xs" align="flex-start" wrap="wrap">
            <Autocomplete
              aria-label="Group name"
              placeholder="group name"
              data={groups.data ?? []}
              value={name}
              onChange={setName}
              error={name && !valid ? 'Letters, digits, _ and - only' : undefined}
              data-testid="device-group-input"
              size="xs"
              style={{ flex: '1 1 160px' }}
              data-autofocus
            />
            <Button
              type="submit"
              size="xs"
              disabled={!valid}
              loading={save.isPending}
              data-testid="device-group-save"
            >
              Save
            </Button>
            <Button size="xs" variant="default" onClick={() => setEditing(false)}>
              Cancel
            </Button>
          </Group>
          <ErrorNote error={save.error} title="The group was not changed" />
        </form>
      ) : null}
      <ErrorNote error={remove.error} title="The device was not taken out of the group" />
    </Stack>
  );
};

interface TagRow {
  name: string;
  value: string;
}

const TagsEditor = ({ id }: { id: string }) => {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const inv = useInventory(id);
  const tags: TagRow[] = (inv.data?.device.attributes ?? [])
    .filter((a) => a.scope === 'tags')
    .map((a) => ({ name: a.name, value: Array.isArray(a.value) ? a.value.join(',') : String(a.value) }));
  const [draft, setDraft] = useState<TagRow[] | null>(null);
  const save = useMutation({
    mutationFn: (rows: TagRow[]) =>
      api(`${inventoryPath(id)}/tags`, {
        method: 'PUT',
        body: rows,
        headers: inv.data?.etag ? { 'If-Match': inv.data.etag } : undefined,
      }),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['device', id] });
      setDraft(null);
    },
    onError: (e) => {
      // Someone else changed them: show theirs, keep the draft for another try.
      if (e instanceof ApiError && e.status === 412)
        void qc.invalidateQueries({ queryKey: keys.inventory(id) });
    },
  });
  if (inv.isPending) return null;
  if (draft === null)
    return (
      <Group gap="xs" wrap="wrap" align="center">
        <Text size="sm" c="dimmed" w={60}>
          Tags
        </Text>
        {tags.length === 0 ? (
          <Text size="sm" c="dimmed">
            none
          </Text>
        ) : (
          tags.map((t) => (
            <Badge
              key={t.name}
              variant="outline"
              color="teal"
              style={{ textTransform: 'none' }}
              data-testid="device-tag"
            >
              {t.name}
              {t.value ? `=${t.value}` : ''}
            </Badge>
          ))
        )}
        {canWrite ? (
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={() => {
              save.reset();
              setDraft(tags.length ? tags : [{ name: '', value: '' }]);
            }}
            data-testid="device-tags-edit"
          >
            Edit tags
          </Button>
        ) : null}
      </Group>
    );

  const set = (i: number, patch: Partial<TagRow>) =>
    setDraft(draft.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const clean = draft
    .filter((r) => r.name.trim() !== '')
    .map((r) => ({ name: r.name.trim(), value: r.value }));
  const conflict = save.error instanceof ApiError && save.error.status === 412;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(clean);
      }}
    >
      <Stack gap={6}>
        <Text size="sm" fw={500}>
          Tags
        </Text>
        {draft.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; their position is their identity
          <Group key={i} gap={6} wrap="nowrap">
            <TextInput
              aria-label={`Tag ${i + 1} name`}
              placeholder="name"
              size="xs"
              value={r.name}
              onChange={(e) => set(i, { name: e.currentTarget.value })}
              data-testid={`device-tag-name-${i}`}
              style={{ flex: 1 }}
            />
            <TextInput
              aria-label={`Tag ${i + 1} value`}
              placeholder="value"
              size="xs"
              value={r.value}
              onChange={(e) => set(i, { value: e.currentTarget.value })}
              data-testid={`device-tag-value-${i}`}
              style={{ flex: 1 }}
            />
            <ActionIcon
              variant="subtle"
              color="gray"
              aria-label={`Remove tag ${i + 1}`}
              onClick={() => setDraft(draft.filter((_, j) => j !== i))}
            >
              ×
            </ActionIcon>
          </Group>
        ))}
        <Group gap="xs">
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={() => setDraft([...draft, { name: '', value: '' }])}
            data-testid="device-tag-add"
          >
            + Add tag
          </Button>
        </Group>
        {conflict ? (
          <ErrorNote
            error={
              new Error(
                'Someone else changed the tags meanwhile. Cancel to see theirs, or save again to replace them with these.',
              )
            }
            title="Not saved"
          />
        ) : (
          <ErrorNote error={save.error} title="The tags were not saved" />
        )}
        <Group gap="xs" justify="flex-end">
          <Button size="xs" variant="default" onClick={() => setDraft(null)}>
            Cancel
          </Button>
          <Button type="submit" size="xs" loading={save.isPending} data-testid="device-tags-save">
            Save tags
          </Button>
        </Group>
      </Stack>
    </form>
  );
};

export const DeviceLabels = ({ id }: { id: string }) => (
  <Section title="Group and tags" testId="device-labels">
    <Stack gap="sm">
      <GroupEditor id={id} />
      <Divider />
      <TagsEditor id={id} />
    </Stack>
  </Section>
);
