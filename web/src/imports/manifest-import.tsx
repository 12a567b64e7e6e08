import { Alert, Anchor, Button, Code, Group, Paper, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError } from '../shared/api';
import { useAuth } from '../shared/auth';
import { ErrorNote } from '../shared/ui';
import { DryRunResult } from './dry-run-result';
import {
  type DryRun,
  dryRunManifest,
  type ManifestUpload,
  startImport,
  useFactoryNames,
} from './imports-api';
import { formatOfName, type ManifestPick, parseSignature, pickManifestFiles } from './manifest-files';
import { ManifestPicker } from './manifest-picker';

/** A 409 naming the import of the same manifest that is under way. */
const runningImportOf = (e: unknown): string | null => {
  if (!(e instanceof ApiError) || e.status !== 409) return null;
  const id = (e.body as { import_id?: unknown } | null)?.import_id;
  return typeof id === 'string' ? id : null;
};

interface Selection extends ManifestPick<File> {
  /** The signature header's value, once the .sig file is read and well-formed. */
  signatureValue: string | null;
  signatureError: string | null;
  /** Changes with every change of files or options: a dry run belongs to one selection. */
  version: number;
}

const EMPTY: Selection = {
  manifest: null,
  signature: null,
  signatureValue: null,
  signatureError: null,
  version: 0,
};

/** Drop a manifest, check it with a dry run, then import it and follow the import's progress. */
export const ManifestImport = () => {
  const { canWrite } = useAuth();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const factoryNames = useFactoryNames();
  const [sel, setSel] = useState<Selection>(EMPTY);
  const [notes, setNotes] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [allowUnsigned, setAllowUnsigned] = useState(false);
  const [checked, setChecked] = useState<{ version: number; result: DryRun } | null>(null);

  const upload = (): ManifestUpload | null => {
    const format = sel.manifest ? formatOfName(sel.manifest.name) : null;
    if (!sel.manifest || !format || sel.signatureError) return null;
    if (!sel.signature && !allowUnsigned) return null;
    if (sel.signature && !sel.signatureValue) return null;
    return { file: sel.manifest, format, signature: sel.signatureValue, allowUnsigned };
  };

  const dryRun = useMutation({
    mutationFn: async ({ m, version }: { m: ManifestUpload; version: number }) => ({
      version,
      result: await dryRunManifest(m),
    }),
    onSuccess: setChecked,
  });

  const commit = useMutation({
    mutationFn: startImport,
    onSuccess: (job) => {
      void qc.invalidateQueries({ queryKey: ['imports'] });
      if (checked && job.manifest_sha256 !== checked.result.manifest_sha256)
        notifications.show({
          color: 'yellow',
          title: 'The file changed since the dry run',
          message: 'The server received other bytes than it checked: look at this import’s problems closely.',
        });
      // void: navigate() returns nothing under BrowserRouter (the Promise is for data routers).
      void navigate(`/devices/import/${job.id}`);
    },
  });

  const onFiles = async (files: File[]) => {
    const next = pickManifestFiles(sel, files);
    setProblem(next.problem);
    if (next.problem) return;
    setNotes(next.notes);
    let signatureValue = sel.signature === next.signature ? sel.signatureValue : null;
    let signatureError = sel.signature === next.signature ? sel.signatureError : null;
    if (next.signature && next.signature !== sel.signature) {
      const parsed = parseSignature(await next.signature.text());
      signatureValue = 'value' in parsed ? parsed.value : null;
      signatureError = 'error' in parsed ? parsed.error : null;
    }
    if (!next.signature) {
      signatureValue = null;
      signatureError = null;
    }
    setSel((s) => ({
      manifest: next.manifest,
      signature: next.signature,
      signatureValue,
      signatureError,
      version: s.version + 1,
    }));
    dryRun.reset();
    commit.reset();
  };

  if (!canWrite)
    return (
      <Alert color="gray" title="Read-only">
        Your account can look but not change: ask an administrator to import manifests. Past imports and
        factory keys are on the other tabs.
      </Alert>
    );

  const ready = upload();
  const busy = dryRun.isPending || commit.isPending;
  const current = checked && checked.version === sel.version ? checked.result : null;
  const running = runningImportOf(commit.error);
  return (
    <Stack gap="md">
      <Paper withBorder radius="md" p="md">
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            A manifest lists devices made in a factory. Importing it preauthorizes every device in it, so that
            each is let in at its first request. Check it with a dry run first: nothing changes until you
            import.
          </Text>
          <Text size="xs" c="dimmed">
            JSON Lines: one object per line, <Code fz="xs">{'{"identity":{…},"pubkey":"…"}'}</Code> and
            optionally <Code fz="xs">fingerprint</Code>, <Code fz="xs">group</Code>, <Code fz="xs">tags</Code>
            . CSV: a header of <Code fz="xs">identity.&lt;name&gt;</Code> columns, <Code fz="xs">pubkey</Code>
            , and optionally <Code fz="xs">fingerprint</Code>, <Code fz="xs">group</Code>,{' '}
            <Code fz="xs">tag.&lt;name&gt;</Code>.
          </Text>
          <ManifestPicker
            pick={sel}
            signatureError={sel.signatureError}
            notes={notes}
            problem={problem}
            allowUnsigned={allowUnsigned}
            onAllowUnsigned={(allow) => {
              setAllowUnsigned(allow);
              setSel((s) => ({ ...s, version: s.version + 1 }));
            }}
            onFiles={(files) => void onFiles(files)}
            onClear={() => {
              setSel((s) => ({ ...EMPTY, version: s.version + 1 }));
              setNotes([]);
              setProblem(null);
              dryRun.reset();
              commit.reset();
            }}
            disabled={busy}
          />
          {sel.manifest && !sel.signature && !allowUnsigned ? (
            <Text size="sm" c="dimmed" data-testid="unsigned-hint">
              Add the manifest’s .sig file, or allow the unsigned import above.
            </Text>
          ) : null}
          <ErrorNote error={dryRun.error} title="The dry run was refused" />
          {running ? (
            <Alert
              color="orange"
              title="This manifest is being imported already"
              data-testid="import-running"
            >
              <Anchor component={Link} to={`/devices/import/${running}`}>
                Follow that import
              </Anchor>
              .
            </Alert>
          ) : (
            <ErrorNote error={commit.error} title="The import was refused" />
          )}
          <Group gap="xs">
            <Button
              variant={current ? 'default' : 'filled'}
              disabled={!ready || commit.isPending}
              loading={dryRun.isPending}
              onClick={() => ready && dryRun.mutate({ m: ready, version: sel.version })}
              data-testid="import-dry-run"
            >
              {current ? 'Dry run again' : 'Dry run'}
            </Button>
            <Button
              disabled={!ready || !current || dryRun.isPending}
              loading={commit.isPending}
              onClick={() => ready && commit.mutate(ready)}
              data-testid="import-commit"
              title={current ? undefined : 'Run a dry run of this manifest first'}
            >
              {current ? `Import (${current.counts.created} new)` : 'Import'}
            </Button>
          </Group>
        </Stack>
      </Paper>
      {current ? (
        <DryRunResult
          result={current}
          factoryName={current.factory_id ? (factoryNames[current.factory_id] ?? null) : null}
        />
      ) : null}
    </Stack>
  );
};
