import { Anchor, Tabs, Text } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { PageTitle } from '../shared/ui';
import { FactoryKeys } from './factory-keys';
import { ImportHistory } from './import-history';
import { ManifestImport } from './manifest-import';

const TABS = ['new', 'history', 'factories'] as const;
type Tab = (typeof TABS)[number];

/** Device import (bulk preauthorization from factory manifests): new import, past imports, factory keys (`?tab=`). */
export default function ImportPage() {
  const [params, setParams] = useSearchParams();
  const asked = params.get('tab');
  const tab: Tab = TABS.includes(asked as Tab) ? (asked as Tab) : 'new';
  return (
    <>
      <Text size="sm" mb={4}>
        <Anchor component={Link} to="/devices" size="sm">
          ← Devices
        </Anchor>
      </Text>
      <PageTitle>Import devices</PageTitle>
      <Tabs
        value={tab}
        onChange={(v) => setParams(v && v !== 'new' ? { tab: v } : {}, { replace: true })}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          <Tabs.Tab value="new" data-testid="tab-import-new">
            Import a manifest
          </Tabs.Tab>
          <Tabs.Tab value="history" data-testid="tab-import-history">
            Past imports
          </Tabs.Tab>
          <Tabs.Tab value="factories" data-testid="tab-factory-keys">
            Factory keys
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="new">
          <ManifestImport />
        </Tabs.Panel>
        <Tabs.Panel value="history">
          <ImportHistory />
        </Tabs.Panel>
        <Tabs.Panel value="factories">
          <FactoryKeys />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
