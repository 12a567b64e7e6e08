import { Anchor, Button, Stack, Tabs, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime } from '../shared/format';
import { ErrorNote, Loading, PageTitle } from '../shared/ui';
import { type Deployment, useDeploymentsPage } from './deployment-api';
import { DeploymentProgress } from './deployment-progress';
import { DeploymentStatusBadge } from './deployment-status-badge';

const PER_PAGE = 20;
const TABS = [
  { value: 'all', label: 'All' },
  { value: 'inprogress', label: 'In progress' },
  { value: 'pending', label: 'Pending' },
  { value: 'finished', label: 'Finished' },
];

export default function DeploymentsPage() {
  const { canWrite } = useAuth();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? 'all';
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const list = useDeploymentsPage(status, search, page, PER_PAGE);

  const columns: Column<Deployment>[] = [
    {
      key: 'name',
      header: 'Name',
      render: (d) => (
        <Anchor
          component={Link}
          to={`/deployments/${encodeURIComponent(d.id)}`}
          fw={600}
          style={{ whiteSpace: 'nowrap' }}
          onClick={(e) => e.stopPropagation()}
        >
          {d.name}
        </Anchor>
      ),
    },
    {
      key: 'artifact',
      header: 'Release',
      render: (d) => <span style={{ whiteSpace: 'nowrap' }}>{d.artifact_name}</span>,
    },
    { key: 'status', header: 'Status', render: (d) => <DeploymentStatusBadge status={d.status} /> },
    {
      key: 'progress',
      header: 'Progress',
      render: (d) => (
        <div style={{ minWidth: 140 }}>
          <DeploymentProgress stats={d.statistics.status} total={d.max_devices} size="sm" />
        </div>
      ),
    },
    { key: 'devices', header: 'Devices', render: (d) => d.max_devices },
    { key: 'created', header: 'Created', render: (d) => formatTime(d.created), wide: true },
    { key: 'finished', header: 'Finished', render: (d) => formatTime(d.finished), wide: true },
  ];

  const total = list.data?.total ?? null;
  return (
    <>
      <PageTitle
        actions={
          canWrite ? (
            <Button component={Link} to="/deployments/new" data-testid="deployment-new">
              New deployment
            </Button>
          ) : null
        }
      >
        Deployments
      </PageTitle>
      <Stack gap="sm">
        <Tabs
          value={status}
          onChange={(v) => {
            setParams(v && v !== 'all' ? { status: v } : {}, { replace: true });
            setPage(1);
          }}
        >
          <Tabs.List>
            {TABS.map((t) => (
              <Tabs.Tab key={t.value} value={t.value} data-testid={`deployments-tab-${t.value}`}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
        </Tabs>
        <TextInput
          label="Find"
          description="Exact deployment name, release name or deployment id"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
          maw={420}
          data-testid="deployments-search"
        />
        <ErrorNote error={list.error} title="Cannot list deployments" />
        {list.isPending ? (
          <Loading />
        ) : (
          <>
            {total !== null ? (
              <Text size="sm" c="dimmed">
                {total} deployment{total === 1 ? '' : 's'}
              </Text>
            ) : null}
            <DataTable
              rows={list.data?.items ?? []}
              columns={columns}
              rowKey={(d) => d.id}
              testId="deployments-table"
              label="Deployments"
              onRowClick={(d) => navigate(`/deployments/${encodeURIComponent(d.id)}`)}
              empty={
                search.trim() || status !== 'all'
                  ? 'No deployment here. Try another tab or search.'
                  : canWrite
                    ? 'No deployments yet. Upload an artifact under Releases, then press "New deployment".'
                    : 'No deployments yet.'
              }
              page={page}
              pages={total === null ? undefined : Math.max(1, Math.ceil(total / PER_PAGE))}
              onPage={setPage}
            />
          </>
        )}
      </Stack>
    </>
  );
}
