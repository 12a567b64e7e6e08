import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { authRequestBody, type DeviceKeys, signBody } from '../../helpers/device-client.js';
import type { DeviceJson } from './management-api.js';
import type { SimDevice } from './mender-device.js';
import { AUTH_PATH, INVENTORY_PATH, type RecordedRequest, type RecordedServer } from './recorded-server.js';
import { waitFor } from './wait.js';

/** What a failed wait prints: the server's recent requests and the device's log. */
export const diagnosticsFor = (server: RecordedServer, device: SimDevice) => () =>
  `${server.describeRequests()}\n${device.logTail()}`;

export const isInventoryPut = (r: RecordedRequest) => r.method === 'PUT' && r.path === INVENTORY_PATH;

/** Auth requests the device made (identified by the mac in its signed body) after `mark`. */
export const authRequestsOf = (server: RecordedServer, device: SimDevice, mark = 0) =>
  server.requests.filter((r) => r.seq > mark && r.path === AUTH_PATH && r.authMac === device.mac);

/** Waits for an inventory PUT answered 200, made with a token of `deviceId`, that arrived after `mark`. */
export const waitForInventoryOk = (
  server: RecordedServer,
  device: SimDevice,
  deviceId: string,
  mark: number,
  opts: { notJti?: string } = {},
) =>
  waitFor(
    `an inventory PUT from device ${deviceId} answered 200${opts.notJti ? ` with a token other than ${opts.notJti}` : ''}`,
    () =>
      server.requests.find(
        (r) =>
          r.seq > mark &&
          isInventoryPut(r) &&
          r.statusCode === 200 &&
          r.sub === deviceId &&
          (opts.notJti === undefined || r.jti !== opts.notJti),
      ),
    { diagnostics: diagnosticsFor(server, device) },
  );

/** The token id of the device's latest successful authorized request so far. */
export const currentJti = (server: RecordedServer, deviceId: string): string => {
  const last = server.requests.filter((r) => r.sub === deviceId && r.statusCode === 200 && r.jti).at(-1);
  if (!last?.jti) throw new Error(`device ${deviceId} has made no successful authorized request`);
  return last.jti;
};

/**
 * Authorize-on-request (docs/compat/mender-device-auth.md#device-status): starts the daemon, waits for it
 * to appear as a pending device, accepts its auth set over the management API and waits until the daemon's
 * inventory is accepted with the token it then gets.
 */
export const admitOnRequest = async (
  server: RecordedServer,
  device: SimDevice,
): Promise<{
  pending: DeviceJson;
  deviceId: string;
  authSetId: string;
  jti: string;
  /** Requests answered before the accept was sent. */
  answeredBeforeAccept: RecordedRequest[];
  /** Requests that arrived later than this came after the accept was sent. */
  acceptMark: number;
}> => {
  device.startDaemon();
  const pending = await waitFor(
    `device ${device.mac} to show up as pending`,
    async () => (await server.mgmt.devicesWithMac(device.mac, 'pending'))[0],
    { diagnostics: diagnosticsFor(server, device) },
  );
  const authSetId = pending.auth_sets[0]?.id;
  if (!authSetId) throw new Error(`pending device without auth set: ${JSON.stringify(pending)}`);
  const answeredBeforeAccept = [...server.requests];
  const acceptMark = server.mark();
  const status = await server.mgmt.setAuthSetStatus(pending.id, authSetId, 'accepted');
  if (status !== 204) throw new Error(`accepting the auth set: HTTP ${status}`);
  const ok = await waitForInventoryOk(server, device, pending.id, acceptMark);
  return {
    pending,
    deviceId: pending.id,
    authSetId,
    jti: ok.jti as string,
    answeredBeforeAccept,
    acceptMark,
  };
};

/** A device key from a PEM file (any of PKCS#1, SEC1, PKCS#8), for hand-made auth requests. */
export const loadDeviceKeys = async (privateKeyPath: string): Promise<DeviceKeys> => {
  const privateKey = createPrivateKey(await readFile(privateKeyPath));
  const kind =
    privateKey.asymmetricKeyType === 'ed25519'
      ? 'ed25519'
      : privateKey.asymmetricKeyType === 'ec'
        ? 'ec'
        : 'rsa';
  return {
    kind,
    privateKey,
    publicPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
  };
};

/** POSTs an auth request byte-compatible with the 3.4 client's, signed with `keys`. */
export const postSignedAuthRequest = async (
  serverUrl: string,
  keys: DeviceKeys,
  identity: Record<string, unknown>,
): Promise<{ status: number; body: string }> => {
  const body = authRequestBody(identity, keys.publicPem);
  const res = await fetch(`${serverUrl}${AUTH_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer ',
      'x-men-signature': signBody(keys, body),
    },
    body,
  });
  return { status: res.status, body: await res.text() };
};
