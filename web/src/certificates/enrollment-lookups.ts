import { useQuery } from '@tanstack/react-query';
import { api } from '../shared/api';
import {
  ALLOCATION,
  type AllocationWebhook,
  ENROLLMENT,
  type EnrollmentGroup,
  enrollmentKeys,
} from './enrollment-api';
import { fetchAllCas, pkiKeys } from './pki-api';

/** All of a paged list (per_page 500), for pickers and for naming ids in tables. */
const fetchAll = async <T>(path: string): Promise<T[]> => {
  const out: T[] = [];
  for (let page = 1; page <= 20; page++) {
    const items = await api<T[]>(path, { query: { page, per_page: 500 } });
    out.push(...items);
    if (items.length < 500) break;
  }
  return out;
};

export const useAllCas = () => useQuery({ queryKey: pkiKeys.allCas, queryFn: fetchAllCas });

export const useAllGroups = () =>
  useQuery({
    queryKey: enrollmentKeys.allGroups,
    queryFn: () => fetchAll<EnrollmentGroup>(`${ENROLLMENT}/groups`),
  });

export const useAllWebhooks = () =>
  useQuery({
    queryKey: enrollmentKeys.allWebhooks,
    queryFn: () => fetchAll<AllocationWebhook>(ALLOCATION),
  });

/** id → thing, for tables that show names instead of ids. */
export const byId = <T extends { id: string }>(items: T[] | undefined): Map<string, T> =>
  new Map((items ?? []).map((i) => [i.id, i]));
