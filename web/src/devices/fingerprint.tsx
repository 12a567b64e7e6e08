import { ActionIcon, Code, CopyButton, Group, Text, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { shortFingerprint } from '../shared/format';
import type { AuthSet } from './devices-api';
import { CheckIcon, CopyIcon } from './icons';

/**
 * SHA-256 of the key's SPKI DER, as `openssl pkey -pubin -outform DER | sha256sum` prints it.
 * The server sends it with every auth set; this is the fallback for a server that does not, and
 * only works for `PUBLIC KEY` (SPKI) PEM in a secure context.
 */
const spkiSha256 = async (pem: string): Promise<string | null> => {
  const m = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(pem);
  if (!m?.[1] || !globalThis.crypto?.subtle) return null;
  const bin = atob(m[1].replace(/\s+/g, ''));
  const der = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
};

/** The auth set's fingerprint: the server's, else computed here from its public key. */
export const useFingerprint = (a: Pick<AuthSet, 'fingerprint' | 'pubkey'> | undefined): string | null => {
  const q = useQuery({
    queryKey: ['fingerprint', a?.pubkey ?? ''],
    queryFn: () => spkiSha256(a?.pubkey ?? ''),
    enabled: !!a && !a.fingerprint && !!a.pubkey,
    staleTime: Number.POSITIVE_INFINITY,
  });
  return a?.fingerprint ?? q.data ?? null;
};

/** Short form in a table cell; the full fingerprint is in the title (hover) and for copying. */
export const ShortFingerprint = ({ authSet }: { authSet: AuthSet | undefined }) => {
  const fp = useFingerprint(authSet);
  if (!fp)
    return (
      <Text size="sm" c="dimmed" data-testid="fingerprint">
        —
      </Text>
    );
  return (
    <Text ff="monospace" size="sm" title={fp} data-testid="fingerprint" style={{ whiteSpace: 'nowrap' }}>
      {shortFingerprint(fp)}
    </Text>
  );
};

export const FullFingerprint = ({ authSet }: { authSet: AuthSet }) => {
  const fp = useFingerprint(authSet);
  if (!fp)
    return (
      <Text size="sm" c="dimmed" data-testid="authset-fingerprint">
        —
      </Text>
    );
  return (
    <Group gap={4} wrap="nowrap" align="center">
      <Code
        data-testid="authset-fingerprint"
        data-fingerprint={fp}
        title={fp}
        style={{ whiteSpace: 'normal', wordBreak: 'break-all', minWidth: 200, maxWidth: 300, fontSize: 12 }}
      >
        {fp}
      </Code>
      <CopyButton value={fp}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : 'Copy fingerprint'} withArrow>
            <ActionIcon
              variant="subtle"
              color={copied ? 'teal' : 'gray'}
              onClick={copy}
              aria-label="Copy fingerprint"
              data-testid="copy-fingerprint"
              size="sm"
            >
              {copied ? <CheckIcon /> : <CopyIcon />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
};
