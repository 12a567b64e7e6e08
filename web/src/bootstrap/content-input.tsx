import { Button, Group, Text, Textarea } from '@mantine/core';

export const TEMPLATE_MODES = [
  { value: 'none', label: 'Verbatim (delivered as written)' },
  { value: 'text', label: 'Text template ({{identity.mac}} … filled in)' },
  { value: 'json', label: 'JSON template (values escaped for JSON strings)' },
];

/** Whether text meant as JSON parses; null when it does not look like JSON at all. */
const jsonProblem = (text: string): string | null => {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return null;
  try {
    JSON.parse(t);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};

/**
 * The config's content: free text, usually JSON. JSON that does not parse is pointed out (the
 * device would get it as written), and parseable JSON can be formatted.
 */
export const ContentInput = ({
  value,
  onChange,
  template,
  testId,
}: {
  value: string;
  onChange: (v: string) => void;
  template: string;
  testId?: string;
}) => {
  const problem = jsonProblem(value);
  const canFormat = value.trim() !== '' && problem === null && /^[[{]/.test(value.trim());
  return (
    <div>
      <Textarea
        label="Content"
        description={
          template === 'none'
            ? 'Delivered to the device as written (often JSON)'
            : 'Placeholders: {{identity.mac}}, {{inventory.device_type}}, {{tags.site}}, {{device.id}}, {{config.external_id}}'
        }
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
        autosize
        minRows={4}
        maxRows={16}
        maxLength={64 * 1024}
        spellCheck={false}
        placeholder='{"mqtt": {"url": "mqtts://broker.example.com"}}'
        error={problem ? `Not valid JSON: ${problem}` : undefined}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
        data-testid={testId}
      />
      <Group gap="xs" mt={4}>
        <Button
          size="compact-xs"
          variant="default"
          disabled={!canFormat}
          onClick={() => onChange(JSON.stringify(JSON.parse(value), null, 2))}
        >
          Format JSON
        </Button>
        <Text size="xs" c="dimmed">
          {value.length.toLocaleString()} of 65,536 characters
        </Text>
      </Group>
    </div>
  );
};
