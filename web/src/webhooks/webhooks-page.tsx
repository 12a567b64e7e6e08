import { Badge, Button, Group, Switch, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { describeError } from '../shared/errors';
import { formatTime } from '../shared/format';
import { ShownOnce } from '../shared/shown-once';
import { ConfirmButton, ErrorNote, Loading, PageTitle } from '../shared/ui';
import {
  answerText,
  type PingResult,
  useWebhooks,
  type Webhook,
  type WebhookWithSecret,
  webhookPath,
} from './webhook-api';
import { WebhookDeliveries } from './webhook-deliveries';
import { WebhookForm } from './webhook-form';

const PER_PAGE = 50;

const pingText = (r: PingResult) =>
  r.delivered
    ? `delivered, HTTP ${r.status_code} in ${r.duration_ms} ms`
    : `not delivered (${answerText(r.status_code, r.error) || 'no answer'}) after ${r.duration_ms} ms`;

export default function WebhooksPage() {
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const [pings, setPings] = useState<Record<string, PingResult | 'busy'>>({});
  const list = useWebhooks(page, PER_PAGE);
  const deliveriesOf = params.get('deliveries');
  const selected = useQuery({
    queryKey: ['webhooks', 'one', deliveriesOf],
    queryFn: () => api<Webhook>(webhookPath(deliveriesOf ?? '')),
    enabled: deliveriesOf !== null,
  });

  const setEnabled = useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) =>
      api<Webhook>(webhookPath(id), { method: 'PATCH', body: { enabled } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['webhooks'] }),
    onError: (e) => notifications.show({ color: 'red', title: 'Not changed', message: describeError(e) }),
  });

  const ping = async (w: Webhook) => {
    setPings((p) => ({ ...p, [w.id]: 'busy' }));
    try {
      const r = await api<PingResult>(`${webhookPath(w.id)}/ping`, { method: 'POST' });
      setPings((p) => ({ ...p, [w.id]: r }));
      notifications.show({ color: r.delivered ? 'green' : 'red', title: 'Ping', message: pingText(r) });
    } catch (e) {
      setPings(({ [w.id]: _, ...rest }) => rest);
      notifications.show({ color: 'red', title: 'Ping not sent', message: describeError(e) });
    }
  };

  const rotate = async (w: Webhook) => {
    const r = await api<WebhookWithSecret>(`${webhookPath(w.id)}/secret`, { method: 'POST' });
    setSecret({ title: 'New signing secret', value: r.secret });
  };

  const remove = async (w: Webhook) => {
    await api(webhookPath(w.id), { method: 'DELETE' });
    notifications.show({ color: 'green', message: `Webhook to ${w.url} deleted` });
    if (deliveriesOf === w.id) setParams({}, { replace: true });
    void qc.invalidateQueries({ queryKey: ['webhooks'] });
  };

  const columns: Column<Webhook>[] = [
    {
      key: 'url',
      header: 'URL',
      render: (w) => (
        <div style={{ minWidth: 200, maxWidth: 360 }}>
          <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>
            {w.url}
          </Text>
          {w.description ? (
            <Text size="xs" c="dimmed">
              {w.description}
            </Text>
          ) : null}
        </div>
      ),
    },
    {
      key: 'types',
      header: 'Events',
      render: (w) => (
        <Group gap={4} style={{ minWidth: 120 }}>
          {w.event_types.map((t) => (
            <Badge key={t} variant="outline" size="sm" tt="none" style={{ minWidth: 'max-content' }}>
              {t}
            </Badge>
          ))}
        </Group>
      ),
    },
    {
      key: 'enabled',
      header: 'Enabled',
      render: (w) =>
        canWrite ? (
          <Switch
            checked={w.enabled}
            aria-label={`Enabled: ${w.url}`}
            onChange={(e) => setEnabled.mutate({ id: w.id, enabled: e.currentTarget.checked })}
            data-testid="webhook-enabled-toggle"
          />
        ) : (
          <Text size="sm">{w.enabled ? 'yes' : 'no'}</Text>
        ),
    },
    { key: 'created', header: 'Created', render: (w) => formatTime(w.created_at), wide: true },
    {
      key: 'actions',
      header: 'Actions',
      render: (w) => {
        const p = pings[w.id];
        return (
          <div>
            <Group gap={6} wrap="nowrap">
              <Button
                size="compact-sm"
                variant={deliveriesOf === w.id ? 'filled' : 'light'}
                onClick={() => setParams({ deliveries: w.id }, { replace: true })}
                data-testid="webhook-deliveries-open"
              >
                Deliveries
              </Button>
              {canWrite ? (
                <>
                  <Button
                    size="compact-sm"
                    variant="light"
                    onClick={() => void ping(w)}
                    loading={p === 'busy'}
                    data-testid="webhook-ping"
                  >
                    Ping
                  </Button>
                  <Button
                    size="compact-sm"
                    variant="default"
                    onClick={() => setEditing(w)}
                    data-testid="webhook-edit"
                  >
                    Edit
                  </Button>
                  <ConfirmButton
                    size="compact-sm"
                    color="orange"
                    label="Rotate secret"
                    title="Rotate the signing secret"
                    message="A new secret signs every request from now on, retries included: the receiver must be given the new secret at once, or it will refuse the requests."
                    confirmLabel="Rotate secret"
                    onConfirm={() => rotate(w)}
                    testId="webhook-rotate"
                  />
                  <ConfirmButton
                    size="compact-sm"
                    label="Delete"
                    title="Delete webhook"
                    message={`Delete the webhook to ${w.url} and its delivery log? Pending deliveries are dropped.`}
                    confirmLabel="Delete webhook"
                    onConfirm={() => remove(w)}
                    testId="webhook-delete"
                  />
                </>
              ) : null}
            </Group>
            {p && p !== 'busy' ? (
              <Text
                size="xs"
                mt={4}
                c={p.delivered ? 'green.8' : 'red.7'}
                data-testid="webhook-ping-result"
                data-delivered={p.delivered}
              >
                Ping: {pingText(p)}
              </Text>
            ) : null}
          </div>
        );
      },
    },
  ];

  return (
    <>
      <PageTitle
        actions={
          canWrite ? (
            <Button onClick={() => setEditing('new')} data-testid="webhook-new">
              New webhook
            </Button>
          ) : null
        }
      >
        Webhooks
      </PageTitle>
      <Text size="sm" c="dimmed" mb="sm" maw={760}>
        Gatehouse POSTs every matching event to each enabled webhook, signed with the webhook's secret (header{' '}
        <code>X-Gatehouse-Signature</code>; how a receiver checks it is in the Gatehouse documentation,
        docs/webhooks.md), and retries until the receiver answers 2xx.
      </Text>
      <ErrorNote error={list.error} title="Cannot list webhooks" />
      {list.isPending ? (
        <Loading />
      ) : (
        <DataTable
          rows={list.data?.items ?? []}
          columns={columns}
          rowKey={(w) => w.id}
          testId="webhooks-table"
          label="Webhooks"
          empty={
            canWrite
              ? 'No webhooks yet. Press "New webhook" to have events sent to your own service.'
              : 'No webhooks yet.'
          }
          page={page}
          pages={list.data?.total ? Math.max(1, Math.ceil(list.data.total / PER_PAGE)) : undefined}
          onPage={setPage}
        />
      )}
      {deliveriesOf ? (
        selected.data ? (
          <WebhookDeliveries
            key={selected.data.id}
            webhook={selected.data}
            onClose={() => setParams({}, { replace: true })}
          />
        ) : selected.error ? (
          <ErrorNote error={selected.error} title="Cannot show deliveries" />
        ) : (
          <Loading />
        )
      ) : null}
      {editing ? (
        <WebhookForm
          webhook={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onCreated={(w) => setSecret({ title: 'Webhook created: its signing secret', value: w.secret })}
        />
      ) : null}
      <ShownOnce
        title={secret?.title ?? ''}
        value={secret?.value ?? null}
        what="signing secret"
        onClose={() => setSecret(null)}
        testId="webhook-secret"
      />
    </>
  );
}
