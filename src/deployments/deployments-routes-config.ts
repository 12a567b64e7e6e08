import { Type } from 'typebox';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';

/**
 * `GET /api/management/v1/deployments/config`: what the enterprise deployments service answers
 * about binary delta generation. Mender's open-source deployments has no such route (404), and
 * Gatehouse generates no deltas either; answering `delta.enabled: false` is how Mender's web UI is
 * told so without a failed request (it reads `delta.enabled`, `delta.binary_delta` and
 * `delta.binary_delta_limits`, and keeps its defaults for what is missing).
 */
export const deploymentsConfigRoutes = () => async (app: App) => {
  app.get(
    '/api/management/v1/deployments/config',
    {
      schema: {
        tags: ['Deployments'],
        summary: 'Deployment settings: no binary delta generation',
        description:
          'Always `{"delta": {"enabled": false}}`: Gatehouse does not generate binary delta artifacts (an enterprise feature of Mender\'s; Mender\'s open-source server answers 404 here). Answered so that Mender\'s web UI shows delta generation as off.',
        response: {
          200: Type.Object({
            delta: Type.Object({
              enabled: Type.Boolean({ description: 'whether the server generates binary delta artifacts' }),
            }),
          }),
          ...errorResponses(401),
        },
      },
    },
    async () => ({ delta: { enabled: false } }),
  );
};
