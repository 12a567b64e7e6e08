import { Alert, Tabs, Text } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useAuth } from '../shared/auth';
import { Loading, PageTitle } from '../shared/ui';
import { useBootstrapBase } from './bootstrap-api';
import { ChannelsSection } from './channels-section';
import { ConfigsSection } from './configs-section';

/** Bootstrap (Magistrala-compatible): configs and channels of the tenant (`?tab=channels`). */
export default function BootstrapPage() {
  const base = useBootstrapBase();
  const { me } = useAuth();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'channels' ? 'channels' : 'configs';
  return (
    <>
      <PageTitle>Bootstrap</PageTitle>
      <Text size="sm" c="dimmed" mb="md" maw={760}>
        Devices that hold only an external id and key fetch their configuration here: client credentials,
        channels, certificates and content. Magistrala's SDK and CLI work against this server's /bootstrap.
      </Text>
      {base === null && me ? (
        <Alert color="red" title="Your tenant is not known">
          The server did not say which tenant your account belongs to, and bootstrap configs live under it.
          Log in again, or update the server.
        </Alert>
      ) : base === null ? (
        <Loading label="Finding your tenant…" />
      ) : (
        <Tabs
          value={tab}
          onChange={(v) => setParams(v === 'channels' ? { tab: 'channels' } : {}, { replace: true })}
          keepMounted={false}
        >
          <Tabs.List mb="md">
            <Tabs.Tab value="configs" data-testid="tab-bootstrap-configs">
              Configs
            </Tabs.Tab>
            <Tabs.Tab value="channels" data-testid="tab-bootstrap-channels">
              Channels
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="configs">
            <ConfigsSection base={base} />
          </Tabs.Panel>
          <Tabs.Panel value="channels">
            <ChannelsSection base={base} />
          </Tabs.Panel>
        </Tabs>
      )}
    </>
  );
}
