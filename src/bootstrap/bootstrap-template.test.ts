import { describe, expect, it } from 'vitest';
import {
  needsDeviceAttributes,
  parseTemplate,
  renderTemplate,
  TemplateError,
  type TemplateValue,
  type TemplateValues,
} from './bootstrap-template.js';

const values: TemplateValues = (scope, name) =>
  (
    ({
      'identity.mac': '02:42:ac:11:00:02',
      'inventory.device_type': 'raspberrypi4',
      'inventory.rootfs-image.version': 'v1.2',
      'inventory.cpu_count': 4,
      'inventory.ipv4': ['10.0.0.2/24', '10.0.0.3/24'],
      'inventory.quote': 'say "hi"\n\\',
      'device.id': 'dev-1',
      'config.name': null,
    }) as Record<string, TemplateValue>
  )[`${scope}.${name}`];

describe('content templates', () => {
  it('fills placeholders, with or without spaces, names with dots included', () => {
    const t = parseTemplate(
      'mac={{identity.mac}} type={{ inventory.device_type }} v={{inventory.rootfs-image.version}}',
    );
    expect(renderTemplate(t, values, 'text')).toBe('mac=02:42:ac:11:00:02 type=raspberrypi4 v=v1.2');
  });

  it('renders numbers, lists and missing values (empty)', () => {
    const t = parseTemplate(
      '{{inventory.cpu_count}}|{{inventory.ipv4}}|{{inventory.nope}}|{{config.name}}|{{device.id}}',
    );
    expect(renderTemplate(t, values, 'text')).toBe('4|10.0.0.2/24,10.0.0.3/24|||dev-1');
  });

  it('json mode escapes values as the inside of a JSON string', () => {
    const t = parseTemplate('{"q": "{{inventory.quote}}", "mac": "{{identity.mac}}"}');
    const out = renderTemplate(t, values, 'json');
    expect(JSON.parse(out)).toEqual({ q: 'say "hi"\n\\', mac: '02:42:ac:11:00:02' });
    expect(renderTemplate(t, values, 'text')).toContain('say "hi"');
  });

  it('writes {{{{ as a literal {{ and leaves lone braces alone', () => {
    const t = parseTemplate('a {{{{ b }} c } {{device.id}}');
    expect(renderTemplate(t, values, 'text')).toBe('a {{ b }} c } dev-1');
    expect(needsDeviceAttributes(t)).toBe(false);
    expect(needsDeviceAttributes(parseTemplate('{{tags.x}}'))).toBe(true);
  });

  it.each([
    ['{{identity.mac', /unclosed/],
    ['{{ nope.x }}', /unknown placeholder/],
    ['{{identity}}', /unknown placeholder/],
    ['{{device.mac}}', /device\.\* is one of id, tenant_id/],
    ['{{config.secret}}', /config\.\* is one of/],
    ['{{identity.a b}}', /unknown placeholder/],
  ])('refuses %j', (source, message) => {
    expect(() => parseTemplate(source)).toThrow(TemplateError);
    expect(() => parseTemplate(source)).toThrow(message);
  });
});
