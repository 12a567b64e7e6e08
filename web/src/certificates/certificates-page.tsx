import { Tabs } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { PageTitle } from '../shared/ui';
import { BuiltinCaSection } from './builtin-ca-section';
import { CasSection } from './cas-section';

/** Certificates: the CAs registered in the tenant, and the built-in CA (`?tab=builtin`). */
export default function CertificatesPage() {
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'builtin' ? 'builtin' : 'cas';
  return (
    <>
      <PageTitle>Certificates</PageTitle>
      <Tabs
        value={tab}
        onChange={(v) => setParams(v === 'builtin' ? { tab: 'builtin' } : {}, { replace: true })}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          <Tabs.Tab value="cas" data-testid="tab-cas">
            Registered CAs
          </Tabs.Tab>
          <Tabs.Tab value="builtin" data-testid="tab-builtin-ca">
            Built-in CA
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="cas">
          <CasSection />
        </Tabs.Panel>
        <Tabs.Panel value="builtin">
          <BuiltinCaSection />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
