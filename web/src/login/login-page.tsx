import { Button, Card, Center, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../shared/api';
import { useAuth } from '../shared/auth';
import { ErrorNote } from '../shared/ui';

export default function LoginPage() {
  const { token, login } = useAuth();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const from = (location.state as { from?: string } | null)?.from ?? '/devices';
  if (token) return <Navigate to={from} replace />;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email, password);
    } catch (err) {
      // A 401 here is a refused password, not an ended session (describeError's reading).
      setError(err instanceof ApiError && err.status === 401 ? new Error('Wrong email or password.') : err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Center mih="100vh" p="md">
      <Card withBorder shadow="sm" w={380} maw="100%" padding="lg">
        <form onSubmit={submit} aria-label="Log in">
          <Stack>
            <Title order={1} fz="h3">
              Gatehouse
            </Title>
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              data-autofocus
              autoFocus
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <ErrorNote error={error} title="Cannot log in" />
            <Button type="submit" loading={busy}>
              Log in
            </Button>
          </Stack>
        </form>
      </Card>
    </Center>
  );
}
