import { PageTitle } from '../shared/ui';

export default function Page() {
  return <PageTitle>Preauthorize a device</PageTitle>;
}
