import { Badge } from '@mantine/core';
import { DEPLOYMENT_STATUS_LABELS, type Deployment } from './deployment-api';

const STATUS_COLOR: Record<Deployment['status'], string> = {
  pending: 'gray',
  inprogress: 'blue',
  finished: 'green',
};

export const DeploymentStatusBadge = ({ status }: { status: Deployment['status'] }) => (
  <Badge
    color={STATUS_COLOR[status]}
    variant="light"
    data-testid="deployment-status"
    data-status={status}
    style={{ minWidth: 'max-content' }}
  >
    {DEPLOYMENT_STATUS_LABELS[status]}
  </Badge>
);
