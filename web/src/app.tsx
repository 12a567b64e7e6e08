import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, type ReactNode, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { ApiError } from './shared/api';
import { AuthProvider, useAuth } from './shared/auth';
import { LiveEventsProvider } from './shared/events';
import { Layout } from './shared/layout';
import { Loading } from './shared/ui';

const LoginPage = lazy(() => import('./login/login-page'));
const DevicesPage = lazy(() => import('./devices/devices-page'));
const DevicePage = lazy(() => import('./devices/device-page'));
const PreauthorizePage = lazy(() => import('./devices/preauthorize-page'));
const ImportPage = lazy(() => import('./imports/import-page'));
const ImportDetailPage = lazy(() => import('./imports/import-detail-page'));
const ReleasesPage = lazy(() => import('./releases/releases-page'));
const ArtifactPage = lazy(() => import('./releases/artifact-page'));
const DeploymentsPage = lazy(() => import('./deployments/deployments-page'));
const CreateDeploymentPage = lazy(() => import('./deployments/create-deployment-page'));
const DeploymentPage = lazy(() => import('./deployments/deployment-page'));
const CertificatesPage = lazy(() => import('./certificates/certificates-page'));
const CaPage = lazy(() => import('./certificates/ca-page'));
const EnrollmentPage = lazy(() => import('./certificates/enrollment-page'));
const BootstrapPage = lazy(() => import('./bootstrap/bootstrap-page'));
const WebhooksPage = lazy(() => import('./webhooks/webhooks-page'));
const UsersPage = lazy(() => import('./users/users-page'));
const AuditPage = lazy(() => import('./audit/audit-page'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // A 4xx will not change by asking again; a network error or 503 may.
      retry: (count, e) => count < 2 && !(e instanceof ApiError && e.status >= 400 && e.status < 500),
      refetchOnWindowFocus: true,
    },
  },
});

const RequireLogin = ({ children }: { children: ReactNode }) => {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <LiveEventsProvider token={token}>{children}</LiveEventsProvider>;
};

export const App = () => (
  <MantineProvider defaultColorScheme="light">
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        {/* Inside the router, so that a notification may hold a link. */}
        <Notifications position="top-right" />
        <AuthProvider>
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route
                element={
                  <RequireLogin>
                    <Layout />
                  </RequireLogin>
                }
              >
                <Route path="/" element={<Navigate to="/devices" replace />} />
                <Route path="/devices" element={<DevicesPage />} />
                <Route path="/devices/preauthorize" element={<PreauthorizePage />} />
                <Route path="/devices/import" element={<ImportPage />} />
                <Route path="/devices/import/:id" element={<ImportDetailPage />} />
                <Route path="/devices/:id" element={<DevicePage />} />
                <Route path="/releases" element={<ReleasesPage />} />
                <Route path="/releases/artifacts/:id" element={<ArtifactPage />} />
                <Route path="/deployments" element={<DeploymentsPage />} />
                <Route path="/deployments/new" element={<CreateDeploymentPage />} />
                <Route path="/deployments/:id" element={<DeploymentPage />} />
                <Route path="/certificates" element={<CertificatesPage />} />
                <Route path="/certificates/cas/:id" element={<CaPage />} />
                <Route path="/enrollment" element={<EnrollmentPage />} />
                <Route path="/bootstrap" element={<BootstrapPage />} />
                <Route path="/webhooks" element={<WebhooksPage />} />
                <Route path="/users" element={<UsersPage />} />
                <Route path="/audit" element={<AuditPage />} />
                <Route path="*" element={<Navigate to="/devices" replace />} />
              </Route>
            </Routes>
          </Suspense>
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  </MantineProvider>
);
