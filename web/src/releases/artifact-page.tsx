import { PageTitle } from '../shared/ui';

export default function Page() {
  return <PageTitle>Artifact</PageTitle>;
}
