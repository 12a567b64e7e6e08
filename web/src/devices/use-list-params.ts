import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { type DeviceFilter, type DeviceStatus, isStatus } from './devices-api';

export const PER_PAGE_CHOICES = ['20', '50', '100'] as const;

export interface ListParams {
  filter: DeviceFilter;
  page: number;
  perPage: number;
}

const clampPerPage = (v: string | null): number => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 20 && n <= 100 ? n : 20;
};

/**
 * The list's state lives in the URL (`/devices?status=pending&q=...&group=&tag=&page=&per_page=`)
 * so a reload, the back button or a shared link shows the same list.
 */
export const useListParams = () => {
  const [sp, setSp] = useSearchParams();
  const params = useMemo<ListParams>(() => {
    const status: DeviceStatus = isStatus(sp.get('status')) ? (sp.get('status') as DeviceStatus) : 'accepted';
    const page = Math.max(1, Number.parseInt(sp.get('page') ?? '1', 10) || 1);
    return {
      filter: {
        status,
        q: sp.get('q') || undefined,
        group: sp.get('group') || undefined,
        tag: sp.get('tag') || undefined,
      },
      page,
      perPage: clampPerPage(sp.get('per_page')),
    };
  }, [sp]);

  /** Changes some parameters; any change other than the page goes back to page 1. */
  const update = useCallback(
    (patch: Partial<Record<'status' | 'q' | 'group' | 'tag' | 'page' | 'per_page', string | undefined>>) => {
      setSp(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch)) {
            if (v === undefined || v === '') next.delete(k);
            else next.set(k, v);
          }
          if (!('page' in patch)) next.delete('page');
          if (next.get('page') === '1') next.delete('page');
          return next;
        },
        { replace: !('status' in patch) },
      );
    },
    [setSp],
  );
  return { ...params, update };
};
