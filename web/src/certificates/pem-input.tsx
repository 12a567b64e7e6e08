import { Button, FileButton, Group, Text, Textarea } from '@mantine/core';
import { type DragEvent, type ReactNode, useRef, useState } from 'react';

/** Base64 of bytes, wrapped at 64 characters as PEM wants. */
const base64Lines = (bytes: Uint8Array): string => {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return (btoa(bin).match(/.{1,64}/g) ?? []).join('\n');
};

/**
 * A file's text: PEM files as they are; a binary (DER) file becomes PEM with `derLabel`
 * (e.g. CERTIFICATE, X509 CRL, CERTIFICATE REQUEST).
 */
export const readPemFile = async (file: File, derLabel: string): Promise<string> => {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('-----BEGIN')) return text.trim();
  // DER starts with an ASN.1 SEQUENCE (0x30).
  if (bytes[0] === 0x30)
    return `-----BEGIN ${derLabel}-----\n${base64Lines(bytes)}\n-----END ${derLabel}-----`;
  return text.trim();
};

/**
 * A PEM text area that also takes a dropped file or one chosen with a button (PEM or DER).
 * `testId` goes on the textarea, `${testId}-file` on the hidden file input.
 */
export const PemInput = ({
  label,
  description,
  value,
  onChange,
  derLabel = 'CERTIFICATE',
  placeholder,
  testId,
  required,
  error,
  minRows = 6,
}: {
  label: string;
  description?: ReactNode;
  value: string;
  onChange: (v: string) => void;
  derLabel?: string;
  placeholder?: string;
  testId?: string;
  required?: boolean;
  error?: ReactNode;
  minRows?: number;
}) => {
  const [dragging, setDragging] = useState(false);
  const [fileError, setFileError] = useState<string | null>(null);
  // Cleared after each file, so choosing the same file again loads it again.
  const resetFile = useRef<() => void>(null);
  const load = async (file: File | null) => {
    if (!file) return;
    resetFile.current?.();
    setFileError(null);
    if (file.size > 1024 * 1024) {
      setFileError(`${file.name} is larger than 1 MiB: this is not a certificate file.`);
      return;
    }
    try {
      onChange(await readPemFile(file, derLabel));
    } catch (e) {
      setFileError(`Cannot read ${file.name}: ${(e as Error).message}`);
    }
  };
  const onDrop = (e: DragEvent<HTMLTextAreaElement>) => {
    e.preventDefault();
    setDragging(false);
    void load(e.dataTransfer.files[0] ?? null);
  };
  return (
    <div>
      <Textarea
        label={label}
        description={description}
        placeholder={placeholder ?? `-----BEGIN ${derLabel}-----\n…\n-----END ${derLabel}-----`}
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
        autosize
        minRows={minRows}
        maxRows={14}
        required={required}
        error={error ?? fileError}
        spellCheck={false}
        styles={{
          input: {
            fontFamily: 'var(--mantine-font-family-monospace)',
            fontSize: 12,
            outline: dragging ? '2px dashed var(--mantine-color-blue-5)' : undefined,
          },
        }}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid={testId}
      />
      <Group gap="xs" mt={4}>
        <FileButton
          onChange={(f) => void load(f)}
          resetRef={resetFile}
          accept=".pem,.crt,.cer,.der,.csr,.req,.crl,.key,text/plain,application/x-x509-ca-cert,application/pkix-cert,application/pkcs10,application/pkix-crl"
          inputProps={{ 'data-testid': testId ? `${testId}-file` : undefined } as never}
        >
          {(props) => (
            <Button {...props} variant="default" size="compact-sm">
              Choose file…
            </Button>
          )}
        </FileButton>
        <Text size="xs" c="dimmed">
          or drop a file on the box (PEM or DER)
        </Text>
      </Group>
    </div>
  );
};
