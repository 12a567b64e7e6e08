import type { BootstrapSecrets } from './bootstrap-secrets.js';
import {
  needsDeviceAttributes,
  parseTemplate,
  renderTemplate,
  type TemplateValue,
} from './bootstrap-template.js';
import type { ConfigRecord, DeliverableRecord, Delivery } from './bootstrap-types.js';

/** An inventory attribute of the linked device (structurally inventory's Attribute). */
export interface DeviceAttribute {
  scope: string;
  name: string;
  value: TemplateValue;
}

/** A linked device's inventory attributes, for content templates (the inventory domain offers it). */
export interface DeviceAttributes {
  of(tenantId: string, deviceId: string): Promise<DeviceAttribute[]>;
}

/** Builds what a device receives: secrets opened, the content template filled. */
export const createDelivery = (deps: { secrets: BootstrapSecrets; attributes: DeviceAttributes }) => {
  const renderContent = async ({ config }: ConfigRecord): Promise<string | null> => {
    if (config.contentTemplate === 'none' || config.content === null) return config.content;
    // Validated when saved; parsing again is cheaper than caching it per config.
    const segments = parseTemplate(config.content);
    const attrs =
      config.deviceId !== null && needsDeviceAttributes(segments)
        ? await deps.attributes.of(config.tenantId, config.deviceId)
        : [];
    const fixed: Record<string, string | null> = {
      'device.id': config.deviceId,
      'device.tenant_id': config.tenantId,
      'config.client_id': config.id,
      'config.external_id': config.externalId,
      'config.name': config.name,
    };
    return renderTemplate(
      segments,
      (scope, name) => {
        const key = `${scope}.${name}`;
        if (key in fixed) return fixed[key];
        return attrs.find((a) => a.scope === scope && a.name === name)?.value;
      },
      config.contentTemplate,
    );
  };

  return async (record: DeliverableRecord): Promise<Delivery> => {
    const { config, secrets: sealed } = record;
    return {
      clientId: config.id,
      clientSecret: deps.secrets.open(config, 'client_secret', sealed.clientSecretSealed),
      channels: record.channels,
      content: await renderContent(record),
      clientCert: config.clientCert,
      clientKey:
        sealed.clientKeySealed === null
          ? null
          : deps.secrets.open(config, 'client_key', sealed.clientKeySealed),
      caCert: config.caCert,
    };
  };
};
export type DeliveryBuilder = ReturnType<typeof createDelivery>;

/**
 * The bootstrap response JSON as Magistrala's reader writes it
 * (docs/compat/magistrala-bootstrap.md#bootstrap-response): field order and
 * omitted empty fields as in Go; `channels` is always a list (Go writes null for none).
 */
export const deliveryToWire = (d: Delivery) => ({
  client_id: d.clientId,
  client_secret: d.clientSecret,
  channels: d.channels.map((c) => ({
    id: c.id,
    ...(c.name ? { name: c.name } : {}),
    ...(Object.keys(c.metadata).length > 0 ? { metadata: c.metadata } : {}),
  })),
  ...(d.content ? { content: d.content } : {}),
  ...(d.clientCert ? { client_cert: d.clientCert } : {}),
  ...(d.clientKey ? { client_key: d.clientKey } : {}),
  ...(d.caCert ? { ca_cert: d.caCert } : {}),
});
