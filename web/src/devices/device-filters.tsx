import { Autocomplete, CloseButton, Group, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../shared/api';
import { type DeviceFilter, INVENTORY, keys } from './devices-api';

type Field = 'q' | 'group' | 'tag';

/**
 * A text field that writes to the URL after the operator stops typing (300 ms), and follows the
 * URL when it changes from elsewhere (back button, a link).
 */
const useDebouncedField = (value: string | undefined, onChange: (v: string | undefined) => void) => {
  const [text, setText] = useState(value ?? '');
  const [debounced] = useDebouncedValue(text, 300);
  const last = useRef(value ?? '');
  useEffect(() => {
    if ((value ?? '') !== last.current) {
      last.current = value ?? '';
      setText(value ?? '');
    }
  }, [value]);
  useEffect(() => {
    const v = debounced.trim();
    if (v !== last.current) {
      last.current = v;
      onChange(v || undefined);
    }
  }, [debounced, onChange]);
  return [text, setText] as const;
};

export const DeviceFilters = ({
  filter,
  onChange,
}: {
  filter: DeviceFilter;
  onChange: (field: Field, value: string | undefined) => void;
}) => {
  const [q, setQ] = useDebouncedField(
    filter.q,
    useLatest((v) => onChange('q', v)),
  );
  const [group, setGroup] = useDebouncedField(
    filter.group,
    useLatest((v) => onChange('group', v)),
  );
  const [tag, setTag] = useDebouncedField(
    filter.tag,
    useLatest((v) => onChange('tag', v)),
  );

  const groups = useQuery({
    queryKey: keys.groups,
    queryFn: () => api<string[]>(`${INVENTORY}/groups`),
    staleTime: 60_000,
  });

  const clear = (set: (v: string) => void, label: string, value: string) =>
    value ? <CloseButton size="sm" aria-label={`Clear ${label}`} onClick={() => set('')} /> : null;

  return (
    <Group gap="xs" align="flex-end" wrap="wrap" mb="sm">
      <TextInput
        label="Search"
        placeholder="Device id, fingerprint or attribute value"
        value={q}
        onChange={(e) => setQ(e.currentTarget.value)}
        rightSection={clear(setQ, 'search', q)}
        data-testid="device-search"
        style={{ flex: '2 1 260px' }}
        size="sm"
      />
      <Autocomplete
        label="Group"
        placeholder="Any group"
        data={groups.data ?? []}
        value={group}
        onChange={setGroup}
        rightSection={clear(setGroup, 'group', group)}
        data-testid="device-filter-group"
        style={{ flex: '1 1 140px' }}
        size="sm"
      />
      <TextInput
        label="Tag"
        placeholder="name or name=value"
        value={tag}
        onChange={(e) => setTag(e.currentTarget.value)}
        rightSection={clear(setTag, 'tag', tag)}
        data-testid="device-filter-tag"
        style={{ flex: '1 1 140px' }}
        size="sm"
      />
    </Group>
  );
};

/** A callback with a fixed identity that always calls the latest `fn`. */
const useLatest = (fn: (v: string | undefined) => void) => {
  const ref = useRef(fn);
  ref.current = fn;
  return useCallback((v: string | undefined) => ref.current(v), []);
};
