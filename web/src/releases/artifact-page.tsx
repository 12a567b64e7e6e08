import {
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Group,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../shared/api';
import { useAuth } from '../shared/auth';
import { describeError } from '../shared/errors';
import { formatBytes, formatTime } from '../shared/format';
import { ConfirmButton, ErrorNote, Loading, PageTitle } from '../shared/ui';
import { ARTIFACTS_PATH, type Artifact, useArtifact } from './artifact-api';
import { KeyValueTable } from './key-value-table';

const Field = ({ label, children }: { label: string; children: ReactNode }) => (
  <div>
    <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
      {label}
    </Text>
    <div>{children}</div>
  </div>
);

const DescriptionEditor = ({ artifact }: { artifact: Artifact }) => {
  const qc = useQueryClient();
  const [text, setText] = useState(artifact.description);
  useEffect(() => setText(artifact.description), [artifact.description]);
  const save = useMutation({
    mutationFn: () =>
      api(`${ARTIFACTS_PATH}/${encodeURIComponent(artifact.id)}`, {
        method: 'PUT',
        body: { description: text },
      }),
    onSuccess: () => {
      notifications.show({ color: 'green', message: 'Description saved' });
      void qc.invalidateQueries({ queryKey: ['artifacts'] });
      void qc.invalidateQueries({ queryKey: ['releases'] });
    },
  });
  return (
    <Stack gap="xs">
      <Textarea
        label="Description"
        autosize
        minRows={2}
        maxLength={4096}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        data-testid="artifact-description-edit"
      />
      <ErrorNote error={save.error} title="The description was not saved" />
      <Group>
        <Button
          size="sm"
          onClick={() => save.mutate()}
          loading={save.isPending}
          disabled={text === artifact.description}
          data-testid="artifact-description-save"
        >
          Save description
        </Button>
      </Group>
    </Stack>
  );
};

const Download = ({ id }: { id: string }) => {
  const link = useMutation({
    mutationFn: () =>
      api<{ uri: string; expire: string }>(`${ARTIFACTS_PATH}/${encodeURIComponent(id)}/download`),
    onSuccess: (r) => window.location.assign(r.uri),
  });
  return (
    <>
      <Button variant="default" size="sm" onClick={() => link.mutate()} loading={link.isPending}>
        Download
      </Button>
      {link.error ? (
        <Text size="sm" c="red" role="alert">
          {describeError(link.error)}
        </Text>
      ) : null}
    </>
  );
};

export default function ArtifactPage() {
  const { id = '' } = useParams();
  const { canWrite } = useAuth();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const artifact = useArtifact(id);

  if (artifact.isPending) return <Loading />;
  if (artifact.error || !artifact.data)
    return (
      <>
        <PageTitle>Artifact</PageTitle>
        <ErrorNote error={artifact.error} title="Cannot show this artifact" />
        <Anchor component={Link} to="/releases" mt="md" display="inline-block">
          Back to releases
        </Anchor>
      </>
    );
  const a = artifact.data;

  const remove = async () => {
    try {
      await api(`${ARTIFACTS_PATH}/${encodeURIComponent(a.id)}`, { method: 'DELETE' });
    } catch (e) {
      if (e instanceof ApiError && e.status === 409)
        throw new Error(
          'This artifact is used by a deployment that has not finished, so devices may still download it. Wait until that deployment finishes, or abort it, then delete the artifact.',
        );
      throw e;
    }
    notifications.show({ color: 'green', message: `Artifact ${a.name} deleted` });
    qc.removeQueries({ queryKey: ['artifacts', 'one', a.id] });
    void qc.invalidateQueries({ queryKey: ['artifacts'] });
    void qc.invalidateQueries({ queryKey: ['releases'] });
    // void: navigate() returns nothing under BrowserRouter (the Promise is for data routers).
    void navigate('/releases');
  };

  const files = a.updates.flatMap((u, i) =>
    u.files.map((f) => ({ ...f, update: i, type: u.type_info.type })),
  );
  return (
    <>
      <Anchor component={Link} to="/releases" size="sm">
        ← Releases
      </Anchor>
      <PageTitle
        actions={
          <>
            <Download id={a.id} />
            {canWrite ? (
              <Button
                component={Link}
                to={`/deployments/new?artifact=${encodeURIComponent(a.name)}`}
                size="sm"
                variant="light"
                data-testid="artifact-deploy"
              >
                Deploy this release
              </Button>
            ) : null}
            {canWrite ? (
              <ConfirmButton
                label="Delete"
                title="Delete artifact"
                message={
                  <>
                    Delete artifact <b>{a.name}</b> ({a.device_types_compatible.join(', ')})? Devices can no
                    longer be deployed to it. This cannot be undone.
                  </>
                }
                confirmLabel="Delete artifact"
                onConfirm={remove}
                testId="artifact-delete"
              />
            ) : null}
          </>
        }
      >
        <span data-testid="artifact-name">{a.name}</span>
      </PageTitle>
      <Stack gap="md">
        <Card withBorder>
          <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
            <Field label="Device types">
              <Group gap={4} mt={2}>
                {a.device_types_compatible.map((t) => (
                  <Badge key={t} variant="outline" tt="none">
                    {t}
                  </Badge>
                ))}
              </Group>
            </Field>
            <Field label="Size">{formatBytes(a.size)}</Field>
            <Field label="Signed">
              {a.signed ? (
                <Badge color="green" variant="light">
                  signed
                </Badge>
              ) : (
                'no'
              )}
            </Field>
            <Field label="Uploaded">{formatTime(a.modified)}</Field>
            <Field label="Format">
              {a.info.format} v{a.info.version}
            </Field>
            <Field label="Payload types">
              {a.updates.map((u) => u.type_info.type ?? '(bootstrap)').join(', ') || '—'}
            </Field>
            <Field label="Artifact id">
              <Code style={{ wordBreak: 'break-all' }}>{a.id}</Code>
            </Field>
          </SimpleGrid>
        </Card>
        <Card withBorder>
          {canWrite ? (
            <DescriptionEditor artifact={a} />
          ) : (
            <Field label="Description">{a.description || '—'}</Field>
          )}
        </Card>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder>
            <Title order={2} fz="h5" mb="xs">
              Provides
            </Title>
            <KeyValueTable data={a.artifact_provides} empty="Provides nothing." label="Artifact provides" />
          </Card>
          <Card withBorder>
            <Title order={2} fz="h5" mb="xs">
              Depends
            </Title>
            <KeyValueTable
              data={a.artifact_depends}
              empty="No dependencies besides the device type."
              label="Artifact depends"
            />
          </Card>
        </SimpleGrid>
        <Card withBorder>
          <Title order={2} fz="h5" mb="xs">
            Clears provides
          </Title>
          {a.clears_artifact_provides.length ? (
            <Group gap={4}>
              {a.clears_artifact_provides.map((c) => (
                <Code key={c}>{c}</Code>
              ))}
            </Group>
          ) : (
            <Text size="sm" c="dimmed">
              Clears nothing.
            </Text>
          )}
        </Card>
        <Card withBorder>
          <Title order={2} fz="h5" mb="xs">
            Payload files
          </Title>
          {files.length === 0 ? (
            <Text size="sm" c="dimmed">
              This artifact carries no payload files (metadata only).
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={560}>
              <Table verticalSpacing={4} aria-label="Payload files" data-testid="artifact-files">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>File</Table.Th>
                    <Table.Th>Payload type</Table.Th>
                    <Table.Th>Size</Table.Th>
                    <Table.Th>SHA-256</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {files.map((f) => (
                    <Table.Tr key={`${f.update}/${f.name}`}>
                      <Table.Td>{f.name}</Table.Td>
                      <Table.Td>{f.type ?? '—'}</Table.Td>
                      <Table.Td>{formatBytes(f.size)}</Table.Td>
                      <Table.Td>
                        <Code style={{ wordBreak: 'break-all' }}>{f.checksum || '—'}</Code>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Card>
        {a.updates.some((u) => Object.keys(u.metadata ?? {}).length > 0) ? (
          <Card withBorder>
            <Title order={2} fz="h5" mb="xs">
              Payload metadata
            </Title>
            <Stack gap="xs">
              {a.updates.map((u, i) => (
                <KeyValueTable
                  // biome-ignore lint/suspicious/noArrayIndexKey: updates have no id of their own
                  key={i}
                  data={u.metadata ?? {}}
                  empty="No metadata."
                  label={`Metadata of payload ${i + 1}`}
                />
              ))}
            </Stack>
          </Card>
        ) : null}
      </Stack>
    </>
  );
}
