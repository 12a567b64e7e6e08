import { Alert, Code, Stack, Text } from '@mantine/core';
import { Section } from '../shared/section';
import { ImportCountBadges } from './import-summary';
import type { DryRun } from './imports-api';
import { ProblemsTable } from './problems-table';

/** What the manifest would do, row by row; the database is unchanged. */
export const DryRunResult = ({ result, factoryName }: { result: DryRun; factoryName: string | null }) => {
  const problems = result.counts.conflicts + result.counts.invalid;
  return (
    <Section title="Dry run: nothing was changed" testId="dry-run-result">
      <Stack gap="sm">
        <Text size="sm">
          {result.signed ? (
            <>
              Signed by factory <b data-testid="dry-run-factory">{factoryName ?? result.factory_id}</b>.{' '}
            </>
          ) : (
            <>Not signed (allowed for this import). </>
          )}
          {result.lines_total} line{result.lines_total === 1 ? '' : 's'}, SHA-256{' '}
          <Code fz="xs" style={{ wordBreak: 'break-all' }}>
            {result.manifest_sha256}
          </Code>
        </Text>
        <ImportCountBadges counts={result.counts} />
        {result.error ? (
          <Alert color="red" title="The manifest is broken here" data-testid="dry-run-error">
            {result.error}. The rows before it are counted above; an import would stop at this line.
          </Alert>
        ) : null}
        {problems > 0 ? (
          <Text size="sm">
            These rows would not be imported; the others would. Fix them in the manifest and check again, or
            import the good rows now and deal with these later (the import's error report lists them).
          </Text>
        ) : null}
        <ProblemsTable
          problems={result.problems}
          testId="dry-run-problems"
          empty="No problem: every row would be imported or is there already."
        />
        {result.problems_truncated ? (
          <Alert color="yellow" data-testid="dry-run-truncated">
            Only the first {result.problems.length} problem rows are listed here. The import’s error report
            lists every one.
          </Alert>
        ) : null}
      </Stack>
    </Section>
  );
};
