import { Divider, Stack } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { ErrorNote, Loading } from '../shared/ui';
import { BuiltinCaCard } from './builtin-ca-card';
import { CreateBuiltinCa } from './builtin-ca-create';
import { EnrollmentCredentials } from './enrollment-credentials';
import { IssuedCertificates } from './issued-certificates';
import { fetchBuiltinCa, pkiKeys } from './pki-api';

/** The built-in CA: create it, its certificate and EST endpoints, what it issued, EST credentials. */
export const BuiltinCaSection = () => {
  const builtin = useQuery({ queryKey: pkiKeys.builtin, queryFn: fetchBuiltinCa });
  if (builtin.isPending) return <Loading />;
  if (builtin.error) return <ErrorNote error={builtin.error} title="Cannot read the built-in CA" />;
  if (!builtin.data) return <CreateBuiltinCa />;
  return (
    <Stack gap="xl">
      <BuiltinCaCard ca={builtin.data} />
      <IssuedCertificates />
      <Divider />
      <EnrollmentCredentials />
    </Stack>
  );
};
