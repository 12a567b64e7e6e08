import type { Clock } from '../core/clock.js';
import { newOrderedId } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { recordEvent } from '../events/index.js';
import type { Executor, Store } from '../store/store.js';
import { parseAllocationAnswer } from './allocation-answer.js';
import { allocationSecretAad } from './webhooks-envelope.js';
import type { HttpSender, OutboundResult } from './webhooks-http.js';
import type { TargetRecord } from './webhooks-target-repo.js';
import { openTargetSecret, sendSignedEnvelope } from './webhooks-target-send.js';
import type { Allocate, AllocationContext, AllocationResult, AllocationWebhook } from './webhooks-types.js';

export const MAX_ANSWER_BYTES = 64 * 1024;
export const ALLOCATION_REQUEST_TYPE = 'allocation.request';

/**
 * The custom allocation call (docs/compat/provisioning-peers.md#dps-custom-allocation and
 * docs/compat/provisioning-peers.md#aws-iot-pre-provisioning-hook): POSTs the device's context,
 * signed like every webhook, and turns the answer into allow (with optional overrides) or deny.
 * It fails closed: an unknown webhook, a timeout, a network error, a non-2xx status or a
 * malformed answer all deny, with the reason.
 * Every call is recorded as `allocation.allowed` / `allocation.denied` (no secrets, no config
 * contents). Resolves to a decision; rejects only if the event cannot be stored.
 */
export const createAllocate = (deps: {
  store: Store;
  clock: Clock;
  box: SecretBox;
  send: HttpSender;
  /** The tenant's webhook, undefined for an unknown one (or an id that is no UUID). */
  find(ex: Executor, tenantId: string, id: string): Promise<TargetRecord<AllocationWebhook> | undefined>;
}): Allocate => {
  const { clock, box } = deps;
  const db = deps.store.db;

  const decide = (res: OutboundResult, timeoutMs: number): AllocationResult => {
    if (res.timedOut) return deny(`allocation webhook timed out after ${timeoutMs} ms`);
    if (res.error !== null || res.statusCode === null)
      return deny(`allocation webhook unreachable: ${res.error ?? 'no response'}`);
    if (res.statusCode < 200 || res.statusCode > 299)
      return deny(`allocation webhook answered HTTP ${res.statusCode}`);
    if (res.truncated)
      return deny(`allocation webhook answer malformed: larger than ${MAX_ANSWER_BYTES} bytes`);
    const parsed = parseAllocationAnswer(res.body);
    return parsed.ok ? parsed.result : deny(`allocation webhook answer malformed: ${parsed.problem}`);
  };

  return async (tenantId: string, webhookId: string, context: AllocationContext) => {
    const startedAt = clock.nowMs();
    const requestId = newOrderedId(startedAt);
    const deviceId = context.device_id ?? null;
    let result: AllocationResult;
    let call: { statusCode: number | null; durationMs: number } | undefined;

    const found = await deps.find(db, tenantId, webhookId);
    const opened = found && openTargetSecret(box, found.secretSealed, allocationSecretAad(found.target.id));
    if (!found || !opened) {
      result = deny('allocation webhook not found');
    } else if (!opened.ok) {
      result = deny('allocation webhook secret cannot be opened (master key changed?)');
    } else {
      const hook = found.target;
      const res = await sendSignedEnvelope(deps.send, {
        url: hook.url,
        secret: opened.secret,
        envelope: {
          id: requestId,
          type: ALLOCATION_REQUEST_TYPE,
          tenantId,
          deviceId,
          createdAt: startedAt,
          data: context,
        },
        deliveryId: requestId,
        nowMs: startedAt,
        timeoutMs: hook.timeoutMs,
        maxResponseBytes: MAX_ANSWER_BYTES,
      });
      call = { statusCode: res.statusCode, durationMs: res.durationMs };
      result = decide(res, hook.timeoutMs);
    }

    await recordEvent(db, {
      tenantId,
      type: result.decision === 'allow' ? 'allocation.allowed' : 'allocation.denied',
      deviceId,
      payload: {
        webhook_id: webhookId,
        request_id: requestId,
        registration_id: context.registration_id,
        ...(call ? { status_code: call.statusCode, duration_ms: call.durationMs } : {}),
        ...(result.decision === 'deny'
          ? { reason: result.reason }
          : {
              ...(result.overrides?.group === undefined ? {} : { group: result.overrides.group }),
              ...(result.overrides?.tags === undefined ? {} : { tags: result.overrides.tags }),
              config_overridden: result.overrides?.bootstrap_config !== undefined,
            }),
      },
      nowMs: clock.nowMs(),
    });
    return result;
  };
};

const deny = (reason: string): AllocationResult => ({ decision: 'deny', reason });
