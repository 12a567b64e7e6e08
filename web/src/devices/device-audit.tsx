import { Anchor, Badge, Button, Code, Group, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../shared/api';
import { DataTable } from '../shared/data-table';
import { formatAgo, formatTime } from '../shared/format';
import { Section } from '../shared/section';
import { ErrorNote, Loading } from '../shared/ui';
import { AUDIT_PATH, type AuditEvent, keys } from './devices-api';

const AUDIT_PER_PAGE = 100;

/** The device's newest events (one request; the auth sets table reads "by whom" from it too). */
export const useDeviceAudit = (id: string) =>
  useQuery({
    queryKey: keys.audit(id),
    queryFn: () => api<AuditEvent[]>(AUDIT_PATH, { query: { device_id: id, per_page: AUDIT_PER_PAGE } }),
  });

export const actorOf = (e: AuditEvent): string | null => {
  const a = e.data.actor;
  if (!a) return null;
  return a.email ?? (a.type === 'user' ? 'a user' : (a.type ?? null));
};

const DECISIONS = ['device.accepted', 'device.rejected', 'device.preauthorized', 'device.authset_pending'];

/** Who decided on an auth set, in words, from the newest event that names it. */
export const decisionOf = (events: AuditEvent[] | undefined, authSetId: string) => {
  const e = events?.find(
    (x) =>
      (x.data.auth_set_id === authSetId && DECISIONS.includes(x.type)) ||
      (x.type === 'device.accepted' &&
        Array.isArray(x.data.rejected_auth_set_ids) &&
        x.data.rejected_auth_set_ids.includes(authSetId)),
  );
  if (!e) return null;
  const who = actorOf(e);
  let text: string;
  if (e.data.auth_set_id !== authSetId) text = `rejected when ${who ?? 'a user'} accepted a newer key`;
  else
    switch (e.type) {
      case 'device.accepted':
        text =
          e.data.via === 'preauthorized'
            ? 'accepted at its first request (preauthorized)'
            : e.data.via === 'certificate'
              ? 'accepted by certificate'
              : `accepted by ${who ?? 'a user'}`;
        break;
      case 'device.rejected':
        text = `rejected by ${who ?? 'a user'}`;
        break;
      case 'device.preauthorized':
        text = `preauthorized by ${who ?? 'a user'}`;
        break;
      default:
        text = 'asked by the device';
    }
  return { text, at: e.created_at };
};

const TYPE_COLOR: Record<string, string> = {
  'device.accepted': 'green',
  'device.rejected': 'red',
  'device.decommissioned': 'red',
  'device.key_collision': 'red',
  'device.enrollment_refused': 'red',
  'device.authset_pending': 'orange',
  'device.preauthorized': 'blue',
  'device.enrolled_by_certificate': 'teal',
};

/** A few words about the event's data, beyond its type (ids, keys, reasons). */
const detailOf = (e: AuditEvent): string => {
  const d = e.data;
  const parts: string[] = [];
  for (const k of ['via', 'reason', 'key_type', 'previous_status', 'deployment_id', 'status', 'client_id']) {
    const v = d[k];
    if (typeof v === 'string' || typeof v === 'number') parts.push(`${k.replace(/_/g, ' ')}: ${v}`);
  }
  return parts.join(' · ');
};

export const DeviceAudit = ({ id }: { id: string }) => {
  const audit = useDeviceAudit(id);
  const [all, setAll] = useState(false);
  const events = audit.data ?? [];
  const shown = all ? events : events.slice(0, 15);
  return (
    <Section
      title="Audit trail"
      testId="device-audit"
      actions={
        <Anchor component={Link} to={`/audit?device_id=${encodeURIComponent(id)}`} size="sm">
          Open in audit log
        </Anchor>
      }
    >
      <ErrorNote error={audit.error} title="The audit trail could not be loaded" />
      {audit.isPending ? (
        <Loading />
      ) : (
        <>
          <DataTable
            rows={shown}
            rowKey={(e) => e.id}
            testId="device-audit-table"
            label="Audit trail of the device"
            empty="Nothing recorded for this device yet."
            columns={[
              {
                key: 'time',
                header: 'Time',
                render: (e) => (
                  <Text size="sm" title={formatTime(e.created_at)} style={{ whiteSpace: 'nowrap' }}>
                    {formatAgo(e.created_at)}
                  </Text>
                ),
              },
              {
                key: 'type',
                header: 'Event',
                render: (e) => (
                  <Badge
                    variant="light"
                    color={TYPE_COLOR[e.type] ?? 'gray'}
                    style={{ textTransform: 'none', minWidth: 'max-content' }}
                    data-testid="audit-type"
                  >
                    {e.type}
                  </Badge>
                ),
              },
              {
                key: 'actor',
                header: 'By',
                render: (e) => <Text size="sm">{actorOf(e) ?? '—'}</Text>,
              },
              {
                key: 'detail',
                header: 'Details',
                wide: true,
                render: (e) => (
                  <Code fz="xs" bg="transparent">
                    {detailOf(e)}
                  </Code>
                ),
              },
            ]}
          />
          {events.length > shown.length ? (
            <Group justify="center" mt="xs">
              <Button variant="subtle" size="compact-sm" onClick={() => setAll(true)}>
                Show all {events.length}
              </Button>
            </Group>
          ) : null}
        </>
      )}
    </Section>
  );
};
