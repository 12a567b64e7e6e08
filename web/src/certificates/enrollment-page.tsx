import { Tabs } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { PageTitle } from '../shared/ui';
import { AllocationWebhooks } from './allocation-webhooks';
import { EnrollmentGroups } from './enrollment-groups';
import { IndividualEnrollments } from './individual-enrollments';
import { Registrations } from './registrations';

const TABS = ['groups', 'individuals', 'registrations', 'webhooks'] as const;
type Tab = (typeof TABS)[number];

/** Enrollment: groups, individual enrollments, registrations and allocation webhooks (`?tab=`). */
export default function EnrollmentPage() {
  const [params, setParams] = useSearchParams();
  const asked = params.get('tab');
  const tab: Tab = TABS.includes(asked as Tab) ? (asked as Tab) : 'groups';
  return (
    <>
      <PageTitle>Enrollment</PageTitle>
      <Tabs
        value={tab}
        onChange={(v) => setParams(v && v !== 'groups' ? { tab: v } : {}, { replace: true })}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          <Tabs.Tab value="groups" data-testid="tab-enrollment-groups">
            Enrollment groups
          </Tabs.Tab>
          <Tabs.Tab value="individuals" data-testid="tab-individual-enrollments">
            Individual enrollments
          </Tabs.Tab>
          <Tabs.Tab value="registrations" data-testid="tab-registrations">
            Registrations
          </Tabs.Tab>
          <Tabs.Tab value="webhooks" data-testid="tab-allocation-webhooks">
            Allocation webhooks
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="groups">
          <EnrollmentGroups />
        </Tabs.Panel>
        <Tabs.Panel value="individuals">
          <IndividualEnrollments />
        </Tabs.Panel>
        <Tabs.Panel value="registrations">
          <Registrations />
        </Tabs.Panel>
        <Tabs.Panel value="webhooks">
          <AllocationWebhooks />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
