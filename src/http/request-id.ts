import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Mender's request id header; taken from the request when it is sane, else generated. */
export const REQUEST_ID_HEADER = 'x-men-requestid';
const SANE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export const genReqId = (req: IncomingMessage): string => {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
};
