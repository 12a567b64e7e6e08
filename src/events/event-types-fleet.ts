import { Type } from 'typebox';
import { defineEvent } from './event-types-common.js';

const webhook = {
  webhook_id: Type.String(),
  url: Type.String({ description: 'without its query' }),
  event_types: Type.Array(Type.String()),
  enabled: Type.Boolean(),
};
const allocationWebhook = {
  allocation_webhook_id: Type.String(),
  url: Type.String({ description: 'without its query' }),
  timeout_ms: Type.Integer(),
};
const allocationCall = {
  webhook_id: Type.String({ description: 'the allocation webhook' }),
  request_id: Type.String({ description: 'the `id` of the allocation request' }),
  registration_id: Type.String(),
  status_code: Type.Optional(
    Type.Union([Type.Integer(), Type.Null()], { description: 'null: no answer; absent: not called' }),
  ),
  duration_ms: Type.Optional(Type.Integer({ description: 'absent: not called' })),
};

/** artifact.* and deployment.*: OTA updates. */
export const updateEvents = {
  'artifact.uploaded': defineEvent('an artifact was uploaded', {
    artifact_id: Type.String(),
    name: Type.String(),
    device_types: Type.Array(Type.String()),
  }),
  'artifact.deleted': defineEvent('an artifact was deleted (alone or with its release)', {
    artifact_id: Type.String(),
    name: Type.String(),
  }),
  'deployment.created': defineEvent('a deployment was created', {
    deployment_id: Type.String(),
    name: Type.String(),
    artifact_name: Type.String(),
    device_count: Type.Integer(),
  }),
  'deployment.aborted': defineEvent('a deployment was aborted', {
    deployment_id: Type.String(),
    aborted_devices: Type.Integer(),
  }),
  'deployment.finished': defineEvent('no device of a deployment is active any more', {
    deployment_id: Type.String(),
    name: Type.String(),
  }),
};

/** webhook.*, allocation_webhook.* (changes to webhooks) and allocation.* (calls of allocation webhooks). */
export const webhookEvents = {
  'webhook.created': defineEvent('an event webhook was created', webhook),
  'webhook.updated': defineEvent('an event webhook was changed', webhook),
  'webhook.deleted': defineEvent('an event webhook was deleted', webhook),
  'webhook.secret_rotated': defineEvent("an event webhook's secret was replaced", webhook),
  'allocation_webhook.created': defineEvent('an allocation webhook was created', allocationWebhook),
  'allocation_webhook.updated': defineEvent('an allocation webhook was changed', allocationWebhook),
  'allocation_webhook.deleted': defineEvent('an allocation webhook was deleted', allocationWebhook),
  'allocation_webhook.secret_rotated': defineEvent(
    "an allocation webhook's secret was replaced",
    allocationWebhook,
  ),
  'allocation.allowed': defineEvent(
    'an allocation webhook allowed a device ([below](#allocation-webhooks))',
    {
      ...allocationCall,
      group: Type.Optional(Type.String()),
      tags: Type.Optional(Type.Record(Type.String(), Type.String())),
      config_overridden: Type.Boolean({
        description: 'whether the answer set a bootstrap config; never the config',
      }),
    },
  ),
  'allocation.denied': defineEvent('an allocation webhook denied a device, or could not be asked', {
    ...allocationCall,
    reason: Type.String(),
  }),
};
