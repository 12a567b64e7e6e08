import { Anchor, Badge, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../shared/api';
import { ErrorNote } from '../shared/ui';
import { ENROLLMENT, type EnrollmentGroup, enrollmentKeys } from './enrollment-api';
import type { Ca } from './pki-api';

/** Which enrollment group (at most one) decides what devices of this CA get; a link to make one. */
export const CaEnrollmentGroup = ({ ca, canWrite }: { ca: Ca; canWrite: boolean }) => {
  const groups = useQuery({
    queryKey: enrollmentKeys.groupsOfCa(ca.id),
    queryFn: () => api<EnrollmentGroup[]>(`${ENROLLMENT}/groups`, { query: { ca_id: ca.id } }),
  });
  const group = groups.data?.[0];
  return (
    <Card withBorder padding="lg">
      <Stack gap="xs">
        <Title order={2} fz="h4">
          Enrollment
        </Title>
        <ErrorNote error={groups.error} title="Cannot read the enrollment group" />
        {groups.isPending ? null : group ? (
          <Group gap="xs">
            <Text size="sm">Enrollment group</Text>
            <Anchor component={Link} to={`/enrollment?group=${group.id}`} size="sm" fw={500}>
              {group.name}
            </Anchor>
            <Badge tt="none" variant="light" color={group.enabled ? 'green' : 'gray'}>
              {group.enabled ? 'enabled' : 'disabled'}
            </Badge>
            <Text size="sm" c="dimmed">
              identity {group.identity.attribute} from the certificate's {group.identity.source}
            </Text>
          </Group>
        ) : (
          <Text size="sm">
            No enrollment group: admitted devices get the identity {'{"DeviceId": "<certificate CN>"}'} and
            nothing else.{' '}
            {canWrite ? (
              <Anchor
                component={Link}
                to={`/enrollment?new_group_for=${ca.id}`}
                data-testid="ca-create-group"
              >
                Create an enrollment group for this CA
              </Anchor>
            ) : null}
          </Text>
        )}
      </Stack>
    </Card>
  );
};
