import { Anchor, Text } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { type Column, DataTable } from '../shared/data-table';
import { formatTime } from '../shared/format';
import { ErrorNote, Loading } from '../shared/ui';
import { countsInWords, ImportStatusBadge } from './import-summary';
import { type DeviceImport, useFactoryNames, useImports } from './imports-api';

const PER_PAGE = 20;

/** Past imports, newest first; each opens its progress and problem rows. */
export const ImportHistory = () => {
  const navigate = useNavigate();
  const [page, setPage] = useState(1);
  const list = useImports(page, PER_PAGE);
  const factoryNames = useFactoryNames();
  const total = list.data?.total ?? null;
  const columns: Column<DeviceImport>[] = [
    {
      key: 'started',
      header: 'Started',
      render: (i) => (
        <Anchor
          component={Link}
          to={`/devices/import/${i.id}`}
          size="sm"
          onClick={(e) => e.stopPropagation()}
          data-testid="import-link"
        >
          {formatTime(i.created_ts)}
        </Anchor>
      ),
    },
    { key: 'status', header: 'Status', render: (i) => <ImportStatusBadge status={i.status} /> },
    {
      key: 'rows',
      header: 'Rows',
      render: (i) => (
        <Text size="sm" data-testid="import-row-counts">
          {countsInWords(i.counts)}
        </Text>
      ),
    },
    {
      key: 'factory',
      header: 'Signed by',
      render: (i) =>
        i.signed ? (
          <Text size="sm" data-testid="import-row-factory">
            {(i.factory_id && factoryNames[i.factory_id]) ?? i.factory_id}
          </Text>
        ) : (
          <Text size="sm" c="orange" data-testid="import-row-factory">
            not signed
          </Text>
        ),
    },
    {
      key: 'manifest',
      header: 'Manifest',
      wide: true,
      render: (i) => (
        <Text size="sm" c="dimmed">
          {i.format.toUpperCase()}, {i.lines_total} lines
        </Text>
      ),
    },
    { key: 'finished', header: 'Finished', wide: true, render: (i) => formatTime(i.finished_ts) },
  ];
  return (
    <>
      <ErrorNote error={list.error} title="The imports could not be loaded" />
      {list.isPending ? (
        <Loading label="Loading imports…" />
      ) : (
        <DataTable
          rows={list.data?.items ?? []}
          columns={columns}
          rowKey={(i) => i.id}
          onRowClick={(i) => navigate(`/devices/import/${i.id}`)}
          testId="imports-table"
          label="Past imports"
          empty="No import yet. Import a manifest on the first tab."
          page={page}
          pages={total === null ? page : Math.max(1, Math.ceil(total / PER_PAGE))}
          onPage={setPage}
        />
      )}
    </>
  );
};
