import { Stack } from '@mantine/core';
import { PageTitle } from '../shared/ui';
import { AccessTokens } from './access-tokens';
import { MyAccount } from './my-account';
import { UsersList } from './users-list';

export default function UsersPage() {
  return (
    <>
      <PageTitle>Users & tokens</PageTitle>
      <Stack gap="md">
        <MyAccount />
        <AccessTokens />
        <UsersList />
      </Stack>
    </>
  );
}
