import { readFileSync } from 'node:fs';
import { makeSingleFileArtifact, multipartUpload } from '../../helpers/artifacts.js';
import { makeRootCa, pkiDir } from '../../helpers/openssl.js';
import type { ConsoleServer } from './console-server.js';
import { DEVAUTH, devicesWithMac, sendPendingAuthRequests } from './devices.js';

const D = '/api/management/v1/deployments';
const PKI = '/api/management/v1/pki';

export interface SeededFleet {
  acceptedDeviceId: string;
  pendingDeviceId: string;
  artifactId: string;
  releaseName: string;
  deploymentId: string;
  caId: string;
}

const idFromLocation = (r: { headers: Headers }, what: string): string => {
  const id = /\/([^/]+)$/.exec(r.headers.get('location') ?? '')?.[1];
  if (!id) throw new Error(`${what}: no id in Location ${r.headers.get('location')}`);
  return id;
};

/**
 * Something on every screen, made through the public API as a script would: devices (one
 * pending, one accepted), an artifact built by mender-artifact, a deployment, a CA.
 */
export const seedFleet = async (server: ConsoleServer): Promise<SeededFleet> => {
  const [acceptedMac, pendingMac] = await sendPendingAuthRequests(server.url, 2);
  const [accepted] = await devicesWithMac(server, acceptedMac as string, 'pending');
  const [pending] = await devicesWithMac(server, pendingMac as string, 'pending');
  if (!accepted || !pending) throw new Error('seed: the devices did not become pending');
  await server.apiOk(
    'PUT',
    `${DEVAUTH}/devices/${accepted.id}/auth/${accepted.auth_sets[0]?.id}/status`,
    204,
    { body: { status: 'accepted' } },
  );

  const releaseName = `tour-release-${Math.random().toString(36).slice(2, 8)}`;
  const file = makeSingleFileArtifact({ name: releaseName, deviceTypes: ['qemux86-64'] });
  const { body, contentType } = await multipartUpload(readFileSync(file), {
    description: 'made by the browser tour',
    filename: `${releaseName}.mender`,
  });
  const up = await fetch(`${server.url}${D}/artifacts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.admin.token}`, 'content-type': contentType },
    body,
  });
  if (up.status !== 201) throw new Error(`seed: artifact upload HTTP ${up.status} ${await up.text()}`);
  const artifactId = idFromLocation(up, 'artifact upload');

  const dep = await server.api('POST', `${D}/deployments`, {
    body: { name: `tour rollout ${releaseName}`, artifact_name: releaseName, devices: [accepted.id] },
  });
  if (dep.status !== 201) throw new Error(`seed: deployment HTTP ${dep.status} ${JSON.stringify(dep.body)}`);
  const deploymentId = idFromLocation(dep, 'create deployment');

  const ca = makeRootCa(pkiDir(), 'tour-root', { cn: 'Tour Root CA' });
  const reg = await server.api('POST', `${PKI}/cas`, { body: { certificate: ca.pem } });
  if (reg.status !== 201)
    throw new Error(`seed: CA registration HTTP ${reg.status} ${JSON.stringify(reg.body)}`);
  const caId = (reg.body as { id: string }).id;

  return {
    acceptedDeviceId: accepted.id,
    pendingDeviceId: pending.id,
    artifactId,
    releaseName,
    deploymentId,
    caId,
  };
};
