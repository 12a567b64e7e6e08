import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';
import { BOOTSTRAP_BASE, requireJsonBody } from './bootstrap-routes-mgmt.js';
import {
  V2ChallengeBody,
  V2ChallengeWire,
  V2DomainParams,
  V2ExchangeBody,
  V2ResponseWire,
} from './bootstrap-schemas.js';
import type { BootstrapV2Service } from './bootstrap-service-v2.js';

const tags = ['Bootstrap v2 (device)'];

/** Bootstrap v2 (docs/bootstrap-v2.md): no fleet-wide secret, no replay. */
export const bootstrapV2Routes = (service: BootstrapV2Service) => async (app: App) => {
  const base = `${BOOTSTRAP_BASE}/v2/:domainID`;
  app.addHook('preValidation', requireJsonBody);

  app.post(
    `${base}/challenges`,
    {
      schema: {
        tags,
        summary: 'Get a single-use challenge (every external id gets one, known or not)',
        params: V2DomainParams,
        body: V2ChallengeBody,
        response: { 200: V2ChallengeWire, ...errorResponses(400, 415, 429) },
      },
    },
    async (req) => service.challenge(req.params.domainID.toLowerCase(), req.body.external_id, req.ip),
  );

  app.post(
    `${base}/configs`,
    {
      schema: {
        tags,
        summary: 'Answer a challenge with a proof; get the config encrypted for this device and exchange',
        description:
          'Any failure (unknown, used or expired challenge, wrong proof, unknown or disabled external id) is the same 403.',
        params: V2DomainParams,
        body: V2ExchangeBody,
        response: { 200: V2ResponseWire, ...errorResponses(400, 403, 415, 429) },
      },
    },
    async (req) => service.exchange(req.params.domainID.toLowerCase(), req.body, req.ip),
  );
};
