import { Autocomplete, Button, Group, Modal, Paper, Stack, TagsInput, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../shared/api';
import { ConfirmButton, ErrorNote } from '../shared/ui';
import {
  BULK_PATH,
  type BulkAction,
  type BulkRequest,
  type BulkResult,
  type DeviceFilter,
  type DeviceStatus,
  INVENTORY,
  keys,
} from './devices-api';

/**
 * The bulk actions that make sense for the devices of one tab (accept and dismiss act on pending
 * keys, reject on pending or accepted ones; a rejected device that asks again is pending again).
 */
export const ACTIONS_BY_STATUS: Record<DeviceStatus, BulkAction[]> = {
  pending: ['accept', 'reject', 'dismiss', 'decommission'],
  accepted: ['reject', 'decommission'],
  rejected: ['decommission'],
  preauthorized: ['decommission'],
  noauth: ['decommission'],
};

export type Selection = { mode: 'ids'; ids: Set<string> } | { mode: 'filter' };

const plural = (n: number) => `${n} device${n === 1 ? '' : 's'}`;

const CONFIRM: Record<Exclude<BulkAction, 'accept'>, { label: string; say: (n: string) => string }> = {
  reject: {
    label: 'Reject',
    say: (n) =>
      `Reject ${n}? They are let in no more (their tokens stop working at once) until accepted again.`,
  },
  dismiss: {
    label: 'Dismiss',
    say: (n) =>
      `Dismiss ${n}? Their keys waiting for a decision are forgotten (a device left without any key is removed). A device that asks again shows up as pending again.`,
  },
  decommission: {
    label: 'Decommission',
    say: (n) =>
      `Decommission ${n}? Each device, its keys, tokens and inventory are deleted. This cannot be undone.`,
  },
};

/** Parses `name=value` tag entries (a bare name gets an empty value). */
const parseTags = (entries: string[]) =>
  entries.map((t) => {
    const i = t.indexOf('=');
    return i < 0
      ? { name: t.trim(), value: '' }
      : { name: t.slice(0, i).trim(), value: t.slice(i + 1).trim() };
  });

const AcceptDialog = ({
  count,
  opened,
  onClose,
  onAccept,
  busy,
  error,
}: {
  count: number;
  opened: boolean;
  onClose: () => void;
  onAccept: (group: string, tags: string[]) => void;
  busy: boolean;
  error: unknown;
}) => {
  const [group, setGroup] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const groups = useQuery({
    queryKey: keys.groups,
    queryFn: () => api<string[]>(`${INVENTORY}/groups`),
    enabled: opened,
    staleTime: 60_000,
  });
  return (
    <Modal opened={opened} onClose={onClose} title={`Accept ${plural(count)}`} centered>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onAccept(group.trim(), tags);
        }}
      >
        <Stack gap="sm">
          <Text size="sm">
            They are let in at their next auth request. Optionally label them on the way in:
          </Text>
          <Autocomplete
            label="Put into group"
            description="Letters, digits, _ and -"
            placeholder="No group"
            data={groups.data ?? []}
            value={group}
            onChange={setGroup}
            data-testid="bulk-accept-group"
          />
          <TagsInput
            label="Tags"
            description="name=value, Enter after each"
            placeholder="site=berlin"
            value={tags}
            onChange={setTags}
            data-testid="bulk-accept-tags"
          />
          <ErrorNote error={error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color="green" loading={busy} data-testid="bulk-accept-confirm">
              Accept {plural(count)}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
};

/**
 * Shown while rows are selected: how many, a switch to "every device the filter matches", and
 * the actions of the tab. Each action is one POST .../devices/bulk.
 */
export const BulkBar = ({
  selection,
  shownCount,
  total,
  filter,
  canWrite,
  onSelectAllMatching,
  onClear,
  onDone,
}: {
  selection: Selection;
  shownCount: number;
  total: number | null;
  filter: DeviceFilter;
  canWrite: boolean;
  onSelectAllMatching: () => void;
  onClear: () => void;
  onDone: (action: BulkAction, result: BulkResult) => void;
}) => {
  const qc = useQueryClient();
  const [accepting, setAccepting] = useState(false);
  const count = selection.mode === 'filter' ? (total ?? shownCount) : selection.ids.size;
  const run = useMutation({
    mutationFn: (req: BulkRequest) => api<BulkResult>(BULK_PATH, { method: 'POST', body: req }),
    onSuccess: (result, req) => {
      onDone(req.action, result);
      void qc.invalidateQueries({ queryKey: ['devices'] });
      void qc.invalidateQueries({ queryKey: ['counts'] });
    },
  });
  const target = (): Pick<BulkRequest, 'device_ids' | 'filter'> =>
    selection.mode === 'filter'
      ? {
          filter: Object.fromEntries(
            Object.entries(filter).filter(([, v]) => v !== undefined && v !== ''),
          ) as DeviceFilter,
        }
      : { device_ids: [...selection.ids] };

  const actions = ACTIONS_BY_STATUS[filter.status];
  const what = selection.mode === 'filter' ? `all ${plural(count)} matching this filter` : plural(count);

  return (
    <Paper withBorder p="xs" mb="sm" bg="var(--mantine-color-blue-light)" data-testid="bulk-bar">
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Group gap="xs" wrap="wrap">
          <Text size="sm" fw={600} data-testid="selected-count">
            {selection.mode === 'filter' ? `All ${count} matching selected` : `${count} selected`}
          </Text>
          {selection.mode === 'ids' && total !== null && total > shownCount ? (
            <Button
              size="compact-sm"
              variant="subtle"
              onClick={onSelectAllMatching}
              data-testid="select-all-matching"
            >
              Select all {total} matching
            </Button>
          ) : null}
          <Button
            size="compact-sm"
            variant="subtle"
            color="gray"
            onClick={onClear}
            data-testid="selection-clear"
          >
            Clear selection
          </Button>
        </Group>
        {canWrite ? (
          <Group gap="xs" wrap="wrap">
            {actions.includes('accept') ? (
              <Button
                size="xs"
                color="green"
                onClick={() => {
                  run.reset();
                  setAccepting(true);
                }}
                data-testid="bulk-accept"
              >
                Accept
              </Button>
            ) : null}
            {actions
              .filter((a): a is Exclude<BulkAction, 'accept'> => a !== 'accept')
              .map((a) => (
                <ConfirmButton
                  key={a}
                  size="xs"
                  variant={a === 'decommission' ? 'filled' : 'light'}
                  color={a === 'dismiss' ? 'gray' : 'red'}
                  label={CONFIRM[a].label}
                  title={`${CONFIRM[a].label} ${what}`}
                  message={CONFIRM[a].say(what)}
                  confirmLabel={`${CONFIRM[a].label} ${plural(count)}`}
                  testId={`bulk-${a}`}
                  onConfirm={() => run.mutateAsync({ action: a, ...target() })}
                />
              ))}
          </Group>
        ) : null}
      </Group>
      <AcceptDialog
        count={count}
        opened={accepting}
        onClose={() => setAccepting(false)}
        busy={run.isPending}
        error={run.error}
        onAccept={(group, tags) =>
          run.mutate(
            {
              action: 'accept',
              ...target(),
              ...(group ? { group } : {}),
              ...(tags.length ? { tags: parseTags(tags) } : {}),
            },
            { onSuccess: () => setAccepting(false) },
          )
        }
      />
    </Paper>
  );
};
