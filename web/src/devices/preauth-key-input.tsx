import { Button, Code, Group, Stack, Text, Textarea } from '@mantine/core';
import { useRef, useState } from 'react';
import { useFingerprint } from './fingerprint';

const MAX_KEY_FILE = 16 * 1024;

/**
 * The device's public key: pasted, dropped onto the field, or chosen as a file. Shows the key's
 * SHA-256 fingerprint as soon as it parses, to compare with `openssl pkey -pubin -outform DER | sha256sum`.
 */
export const KeyInput = ({ value, onChange }: { value: string; onChange: (pem: string) => void }) => {
  const file = useRef<HTMLInputElement>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const fp = useFingerprint(value.trim() ? { pubkey: value.trim() } : undefined);

  const read = async (f: File | undefined) => {
    setFileError(null);
    if (!f) return;
    if (f.size > MAX_KEY_FILE) {
      setFileError(`${f.name} is too large for a public key (${f.size} bytes).`);
      return;
    }
    const text = await f.text();
    if (!text.includes('-----BEGIN')) {
      setFileError(`${f.name} does not look like a PEM public key (no -----BEGIN line).`);
      return;
    }
    onChange(text.trim());
  };

  return (
    <Stack gap={4}>
      <Textarea
        label="Public key (PEM)"
        description="Paste the key, drop its file here, or choose the file."
        placeholder={'-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'}
        required
        autosize
        minRows={6}
        maxRows={14}
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void read(e.dataTransfer.files[0]);
        }}
        styles={{
          input: {
            fontFamily: 'var(--mantine-font-family-monospace)',
            fontSize: 12,
            ...(dragging ? { borderColor: 'var(--mantine-color-blue-filled)', borderStyle: 'dashed' } : {}),
          },
        }}
        error={fileError}
        data-testid="preauth-pubkey"
      />
      <Group gap="xs" wrap="wrap">
        <input
          ref={file}
          type="file"
          accept=".pem,.pub,.key,.txt,application/x-pem-file,text/plain"
          hidden
          data-testid="preauth-file"
          aria-label="Public key file"
          onChange={(e) => {
            void read(e.currentTarget.files?.[0]);
            e.currentTarget.value = '';
          }}
        />
        <Button size="compact-sm" variant="default" onClick={() => file.current?.click()}>
          Choose file…
        </Button>
        {fp ? (
          <Text size="xs" c="dimmed" data-testid="preauth-fingerprint-preview">
            SHA-256{' '}
            <Code fz="xs" style={{ wordBreak: 'break-all' }}>
              {fp}
            </Code>
          </Text>
        ) : null}
      </Group>
    </Stack>
  );
};
