import { Alert, Anchor, Code, Group, Stack, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { formatBytes, formatTime } from '../shared/format';
import { Field, Section } from '../shared/section';
import { ErrorNote, Loading, PageTitle } from '../shared/ui';
import { ImportProblems } from './import-problems';
import { ImportCountBadges, ImportProgress, ImportStatusBadge } from './import-summary';
import { isLive, useFactoryNames, useImport } from './imports-api';

/** One import: its live progress while the server's import worker runs it, then its result. */
export default function ImportDetailPage() {
  const { id = '' } = useParams();
  const job = useImport(id);
  const factoryNames = useFactoryNames();
  const j = job.data;
  return (
    <>
      <Text size="sm" mb={4}>
        <Anchor component={Link} to="/devices/import?tab=history" size="sm">
          ← Imports
        </Anchor>
      </Text>
      <PageTitle>Import {id.slice(0, 8)}</PageTitle>
      <ErrorNote error={job.error} title="The import could not be loaded" />
      {job.isPending ? <Loading label="Loading the import…" /> : null}
      {j ? (
        <Stack gap="md">
          <Section
            title={
              <Group gap="xs" component="span">
                Progress <ImportStatusBadge status={j.status} />
              </Group>
            }
            testId="import-summary"
          >
            <Stack gap="sm">
              <ImportProgress job={j} />
              <ImportCountBadges counts={j.counts} />
              {j.status === 'failed' ? (
                <Alert color="red" title="The import stopped" data-testid="import-error">
                  {j.error ?? 'The import failed.'} The rows before the line it stopped at are imported.
                </Alert>
              ) : null}
              {j.status === 'succeeded' ? (
                <Alert
                  color={j.counts.conflicts + j.counts.invalid > 0 ? 'yellow' : 'green'}
                  data-testid="import-done"
                >
                  {j.counts.created} device{j.counts.created === 1 ? ' is' : 's are'} preauthorized and will
                  be let in at {j.counts.created === 1 ? 'its' : 'their'} first request.{' '}
                  <Anchor component={Link} to="/devices?status=preauthorized" size="sm">
                    See preauthorized devices
                  </Anchor>
                  {j.counts.conflicts + j.counts.invalid > 0
                    ? `. ${j.counts.conflicts + j.counts.invalid} rows were not imported: they are listed below.`
                    : '.'}
                </Alert>
              ) : null}
              {isLive(j) ? (
                <Text size="xs" c="dimmed">
                  The import runs on the server: leaving this page does not stop it.
                </Text>
              ) : null}
              <Field label="Signed by">
                {j.signed ? (
                  <span data-testid="import-factory">
                    {(j.factory_id && factoryNames[j.factory_id]) ?? j.factory_id}
                  </span>
                ) : (
                  <Text span size="sm" c="orange" data-testid="import-factory">
                    not signed
                  </Text>
                )}
              </Field>
              <Field label="Manifest">
                {j.format.toUpperCase()}, {j.lines_total} lines, {formatBytes(j.manifest_bytes)}, SHA-256{' '}
                <Code fz="xs" style={{ wordBreak: 'break-all' }}>
                  {j.manifest_sha256}
                </Code>
              </Field>
              <Field label="Started">{formatTime(j.created_ts)}</Field>
              <Field label="Finished">{j.finished_ts ? formatTime(j.finished_ts) : '—'}</Field>
            </Stack>
          </Section>
          <ImportProblems job={j} />
        </Stack>
      ) : null}
    </>
  );
}
