import { Alert, Badge, Button, Code, Group, JsonInput, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import { ALLOCATION, type AllocationDecision, type AllocationWebhook } from './enrollment-api';

const parseJson = (text: string): { value: unknown; error: string | null } => {
  if (!text.trim()) return { value: undefined, error: null };
  try {
    return { value: JSON.parse(text), error: null };
  } catch (e) {
    return { value: undefined, error: `Not JSON: ${(e as Error).message}` };
  }
};

/** "Test": a real call of the webhook with a sample context; shows its decision (nothing is admitted). */
export const AllocationTestButton = ({ hook }: { hook: AllocationWebhook }) => {
  const [open, setOpen] = useState(false);
  const [registrationId, setRegistrationId] = useState('test-device-0001');
  const [identity, setIdentity] = useState('{"DeviceId": "test-device-0001"}');
  const [payload, setPayload] = useState('');
  const id = parseJson(identity);
  const pl = parseJson(payload);
  const identityError =
    id.error ??
    (id.value !== undefined && (typeof id.value !== 'object' || id.value === null || Array.isArray(id.value))
      ? 'A JSON object, e.g. {"DeviceId": "x"}'
      : null);
  const test = useMutation({
    mutationFn: () =>
      api<AllocationDecision>(`${ALLOCATION}/${hook.id}/test`, {
        method: 'POST',
        body: {
          registration_id: registrationId.trim(),
          ...(id.value !== undefined ? { identity: id.value } : {}),
          ...(pl.value !== undefined ? { payload: pl.value } : {}),
        },
      }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    test.mutate();
  };
  const d = test.data;
  return (
    <>
      <Button
        size="compact-sm"
        variant="default"
        onClick={() => setOpen(true)}
        data-testid={`allocation-test-${hook.id}`}
      >
        Test
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Test the allocation webhook" size="lg">
        <form onSubmit={submit} aria-label="Test the allocation webhook">
          <Stack>
            <Text size="sm" c="dimmed">
              Gatehouse calls {hook.url} with this sample context, as it would for a device, and shows the
              answer. The call is real (and recorded as an event); nothing is admitted.
            </Text>
            <TextInput
              label="Registration id"
              required
              maxLength={256}
              value={registrationId}
              onChange={(e) => setRegistrationId(e.currentTarget.value)}
              data-testid="allocation-test-registration-id"
            />
            <JsonInput
              label="Identity (JSON object)"
              value={identity}
              onChange={setIdentity}
              error={identityError}
              autosize
              minRows={2}
            />
            <JsonInput
              label="Extra payload (JSON, optional)"
              value={payload}
              onChange={setPayload}
              error={pl.error}
              autosize
              minRows={2}
            />
            <ErrorNote error={test.error} title="The test did not run" />
            {d ? (
              <Alert
                styles={{ body: { minWidth: 0 } }}
                color={d.decision === 'allow' ? 'green' : 'red'}
                title={
                  <Group gap="xs">
                    <span>The webhook answered</span>
                    <Badge color={d.decision === 'allow' ? 'green' : 'red'} tt="none">
                      {d.decision}
                    </Badge>
                  </Group>
                }
                data-testid="allocation-test-result"
                data-decision={d.decision}
              >
                <Stack gap={4}>
                  {d.reason ? <Text size="sm">Reason: {d.reason}</Text> : null}
                  {d.overrides && Object.keys(d.overrides).length ? (
                    <>
                      <Text size="sm">Overrides:</Text>
                      <Code block>{JSON.stringify(d.overrides, null, 2)}</Code>
                    </>
                  ) : (
                    <Text size="sm">No overrides.</Text>
                  )}
                </Stack>
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpen(false)}>
                Close
              </Button>
              <Button
                type="submit"
                loading={test.isPending}
                disabled={!registrationId.trim() || identityError !== null || pl.error !== null}
                data-testid="allocation-test-submit"
              >
                Call the webhook
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
};
