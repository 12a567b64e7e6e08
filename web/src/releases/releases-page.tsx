import { Anchor, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useAuth } from '../shared/auth';
import { type Column, DataTable } from '../shared/data-table';
import { formatBytes, formatTime } from '../shared/format';
import { ErrorNote, Loading, PageTitle } from '../shared/ui';
import { type Artifact, type ArtifactFilter, groupByRelease, useArtifactsPage } from './artifact-api';
import { ArtifactUpload } from './artifact-upload';

const PER_PAGE = 50;

type Row = ReturnType<typeof groupByRelease>[number];

const artifactLink = (a: Artifact) => `/releases/artifacts/${encodeURIComponent(a.id)}`;

export default function ReleasesPage() {
  const { canWrite } = useAuth();
  const [params] = useSearchParams();
  const [filter, setFilter] = useState<ArtifactFilter>({
    name: params.get('name') ?? '',
    deviceType: '',
    sort: 'name:asc',
  });
  const [page, setPage] = useState(1);
  const list = useArtifactsPage(filter, page, PER_PAGE);
  const byName = filter.sort === 'name:asc';

  const change = (patch: Partial<ArtifactFilter>) => {
    setFilter((f) => ({ ...f, ...patch }));
    setPage(1);
  };

  const columns: Column<Row>[] = [
    {
      key: 'release',
      header: 'Release',
      render: ({ artifact, first, groupSize }) => (
        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
          <Anchor
            component={Link}
            to={artifactLink(artifact)}
            fw={byName && !first ? 400 : 600}
            c={byName && !first ? 'dimmed' : undefined}
          >
            {artifact.name}
          </Anchor>
          {byName && first && groupSize > 1 ? (
            <Text span size="xs" c="dimmed" ml={6}>
              ({groupSize} artifacts)
            </Text>
          ) : null}
        </Text>
      ),
    },
    {
      key: 'types',
      header: 'Device types',
      render: ({ artifact }) => (
        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
          {artifact.device_types_compatible.join(', ')}
        </Text>
      ),
    },
    {
      key: 'size',
      header: 'Size',
      render: ({ artifact }) => (
        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
          {formatBytes(artifact.size)}
        </Text>
      ),
    },
    {
      key: 'signed',
      header: 'Signed',
      render: ({ artifact }) => (
        <Text size="sm" c={artifact.signed ? 'green.8' : 'dimmed'} fw={artifact.signed ? 600 : 400}>
          {artifact.signed ? 'signed' : 'no'}
        </Text>
      ),
    },
    {
      key: 'modified',
      header: 'Uploaded',
      render: ({ artifact }) => formatTime(artifact.modified),
      wide: true,
    },
    {
      key: 'description',
      header: 'Description',
      render: ({ artifact }) => (
        <Text size="sm" lineClamp={2} maw={320}>
          {artifact.description || '—'}
        </Text>
      ),
      wide: true,
    },
  ];

  const filtered = filter.name.trim() !== '' || filter.deviceType.trim() !== '';
  const total = list.data?.total ?? null;
  return (
    <>
      <PageTitle>Releases</PageTitle>
      {canWrite ? <ArtifactUpload /> : null}
      <Stack gap="sm">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <TextInput
            label="Release name"
            placeholder="exact name"
            value={filter.name}
            onChange={(e) => change({ name: e.currentTarget.value })}
            data-testid="artifacts-filter-name"
          />
          <TextInput
            label="Device type"
            placeholder="exact device type"
            value={filter.deviceType}
            onChange={(e) => change({ deviceType: e.currentTarget.value })}
            data-testid="artifacts-filter-device-type"
          />
          <Select
            label="Order"
            value={filter.sort}
            allowDeselect={false}
            data={[
              { value: 'name:asc', label: 'By release name' },
              { value: 'modified:desc', label: 'Newest first' },
            ]}
            onChange={(v) => v && change({ sort: v as ArtifactFilter['sort'] })}
            w={180}
          />
        </Group>
        <ErrorNote error={list.error} title="Cannot list artifacts" />
        {list.isPending ? (
          <Loading />
        ) : (
          <>
            {total !== null ? (
              <Text size="sm" c="dimmed">
                {total} artifact{total === 1 ? '' : 's'}
              </Text>
            ) : null}
            <DataTable
              rows={groupByRelease(list.data?.items ?? [])}
              columns={columns}
              rowKey={(r) => r.artifact.id}
              testId="artifacts-table"
              label="Artifacts by release"
              empty={
                filtered
                  ? 'No artifact matches these filters.'
                  : canWrite
                    ? 'No artifacts yet. Upload a Mender artifact above (build one with mender-artifact write).'
                    : 'No artifacts yet. An administrator can upload Mender artifacts here.'
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
