import { Button, Group, SegmentedControl, Stack } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../shared/api';
import { downloadFromApi } from '../shared/download';
import { Pager } from '../shared/pager';
import { Section } from '../shared/section';
import { ErrorNote, Loading } from '../shared/ui';
import { type DeviceImport, type ImportProblem, importPath, keys } from './imports-api';
import { ProblemsTable } from './problems-table';

const PER_PAGE = 50;
type Filter = 'all' | 'conflict' | 'invalid';

/**
 * The rows an import did not import, by line, paged by line (after_line), and the error report:
 * every problem row as CSV, fetched with the bearer token and saved from memory.
 */
export const ImportProblems = ({ job }: { job: DeviceImport }) => {
  const [filter, setFilter] = useState<Filter>('all');
  // The after_line of each page seen so far: "previous" goes back one.
  const [cursors, setCursors] = useState<number[]>([0]);
  const after = cursors[cursors.length - 1] ?? 0;
  // Refetched as the import commits more problem rows, and once when it ends.
  const version = `${job.status}:${job.counts.conflicts}:${job.counts.invalid}`;
  const problems = useQuery({
    queryKey: keys.problems(job.id, filter, after, version),
    queryFn: () =>
      api<ImportProblem[]>(`${importPath(job.id)}/problems`, {
        query: { after_line: after, per_page: PER_PAGE, outcome: filter === 'all' ? undefined : filter },
      }),
    placeholderData: keepPreviousData,
  });
  const report = useMutation({
    mutationFn: () => downloadFromApi(`${importPath(job.id)}/report`, `import-${job.id}-problems.csv`),
  });
  const rows = problems.data ?? [];
  const total = job.counts.conflicts + job.counts.invalid;

  return (
    <Section
      title="Rows not imported"
      testId="import-problems-section"
      actions={
        <Button
          size="compact-sm"
          variant="default"
          onClick={() => report.mutate()}
          loading={report.isPending}
          disabled={total === 0}
          data-testid="import-report"
        >
          Download error report (CSV)
        </Button>
      }
    >
      <Stack gap="sm">
        <Group>
          <SegmentedControl
            size="xs"
            value={filter}
            onChange={(v) => {
              setFilter(v as Filter);
              setCursors([0]);
            }}
            data={[
              { value: 'all', label: `All (${total})` },
              { value: 'conflict', label: `Conflicts (${job.counts.conflicts})` },
              { value: 'invalid', label: `Invalid (${job.counts.invalid})` },
            ]}
            data-testid="problems-filter"
          />
        </Group>
        <ErrorNote error={report.error} title="The error report could not be downloaded" />
        <ErrorNote error={problems.error} title="The problem rows could not be loaded" />
        {problems.isPending ? (
          <Loading label="Loading problem rows…" />
        ) : (
          <ProblemsTable
            problems={rows}
            testId="import-problems"
            empty={
              job.status === 'queued' || job.status === 'running'
                ? 'No problem so far.'
                : 'No problem: every row was imported or was there already.'
            }
          />
        )}
        <Pager
          page={cursors.length}
          hasNext={rows.length === PER_PAGE}
          onPage={(p) =>
            setCursors((c) =>
              p > c.length ? [...c, rows[rows.length - 1]?.line ?? after] : c.slice(0, Math.max(1, p)),
            )
          }
        />
      </Stack>
    </Section>
  );
};
