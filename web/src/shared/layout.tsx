import { AppShell, Badge, Burger, Button, Group, Menu, NavLink, Text, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { Suspense } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { api } from './api';
import { useAuth } from './auth';
import { useLiveState } from './events';
import { Loading } from './ui';

export const NAV = [
  { to: '/devices', label: 'Devices' },
  { to: '/devices/import', label: 'Device import' },
  { to: '/releases', label: 'Releases' },
  { to: '/deployments', label: 'Deployments' },
  { to: '/certificates', label: 'Certificates' },
  { to: '/enrollment', label: 'Enrollment' },
  { to: '/bootstrap', label: 'Bootstrap' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/users', label: 'Users & tokens' },
  { to: '/audit', label: 'Audit log' },
] as const;

/** The entry a path belongs to: the longest that matches (/devices/import is not /devices). */
export const activeNavOf = (pathname: string): string | undefined =>
  NAV.map((n) => n.to)
    .filter((to) => pathname === to || pathname.startsWith(`${to}/`))
    .sort((a, b) => b.length - a.length)[0];

export const COUNT_PATH = '/api/management/v2/devauth/devices/count';

/** The number of pending devices, kept fresh by live device events. */
export const usePendingCount = () =>
  useQuery({
    queryKey: ['counts', 'pending'],
    queryFn: () => api<{ count: number }>(COUNT_PATH, { query: { status: 'pending' } }),
    select: (r) => r.count,
  });

const LiveDot = () => {
  const state = useLiveState();
  const color = state === 'live' ? 'green' : state === 'off' ? 'gray' : 'yellow';
  const label =
    state === 'live' ? 'Live: updates arrive as they happen' : state === 'off' ? 'Not live' : 'Reconnecting…';
  return (
    <Tooltip label={label}>
      <Badge color={color} variant="dot" data-testid="live-state" data-state={state} visibleFrom="xs">
        {state === 'live' ? 'live' : state}
      </Badge>
    </Tooltip>
  );
};

export const Layout = () => {
  const [opened, { toggle, close }] = useDisclosure();
  const { me, logout } = useAuth();
  const pending = usePendingCount();
  const { pathname } = useLocation();
  const active = activeNavOf(pathname);
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text component={Link} to="/devices" fw={700} fz="lg" visibleFrom="xs">
              Gatehouse
            </Text>
            <Button
              component={Link}
              to="/devices?status=pending"
              size="compact-sm"
              variant={pending.data ? 'filled' : 'light'}
              color="orange"
              data-testid="pending-badge"
              aria-label={`${pending.data ?? 0} pending devices`}
            >
              {pending.data ?? 0} pending
            </Button>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <LiveDot />
            <Menu position="bottom-end">
              <Menu.Target>
                <Button
                  variant="subtle"
                  size="compact-sm"
                  data-testid="user-menu"
                  aria-label={`Account ${me?.email ?? ''}`}
                  maw={{ base: 110, sm: 260 }}
                >
                  <Text span truncate="end" fz="sm">
                    {me?.email ?? '…'}
                  </Text>
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>
                  Tenant {me?.tenant?.name ?? me?.tenant?.id ?? ''}
                  {me?.role === 'readonly' ? ' · read-only' : ''}
                </Menu.Label>
                <Menu.Item component={Link} to="/users">
                  Users & tokens
                </Menu.Item>
                <Menu.Item color="red" onClick={() => void logout()} data-testid="logout">
                  Log out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {NAV.map((n) => (
          <NavLink
            key={n.to}
            component={Link}
            to={n.to}
            label={n.label}
            active={n.to === active}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
};
