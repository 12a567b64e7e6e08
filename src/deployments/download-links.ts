import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Self-authenticating artifact download links (docs/compat/mender-management.md#artifact-download):
 * the Mender client downloads without
 * an Authorization header, so the URL carries an expiry and an HMAC-SHA256 over tenant,
 * artifact, deployment, device and expiry. The key is derived from the master key, so every
 * process sharing the master key (and the blobs) can serve any link.
 */
export interface DownloadLinks {
  /** Absolute URL for `baseUrl`, valid until `expiresAtMs`. */
  make(
    baseUrl: string,
    p: { tenantId: string; artifactId: string; deploymentId: string; deviceId: string; expiresAtMs: number },
  ): string;
  /** True when the link's signature matches and it has not expired. */
  check(p: {
    tenantId: string;
    artifactId: string;
    deploymentId: string;
    deviceId: string;
    expires: string;
    signature: string;
    nowMs: number;
  }): boolean;
}

export const DOWNLOAD_PATH_PREFIX = '/api/devices/v1/deployments/download/artifacts/';

export const createDownloadLinks = (masterKey: Uint8Array): DownloadLinks => {
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'gatehouse/download-links/v1', 32));
  const mac = (
    tenantId: string,
    artifactId: string,
    deploymentId: string,
    deviceId: string,
    expires: string,
  ) =>
    createHmac('sha256', key)
      .update([tenantId, artifactId, deploymentId, deviceId, expires].join('\n'))
      .digest();
  return {
    make(baseUrl, p) {
      const expires = String(Math.floor(p.expiresAtMs / 1000));
      const sig = mac(p.tenantId, p.artifactId, p.deploymentId, p.deviceId, expires).toString('base64url');
      const q = new URLSearchParams({
        tenant: p.tenantId,
        deployment: p.deploymentId,
        device: p.deviceId,
        expires,
        signature: sig,
      });
      return `${baseUrl}${DOWNLOAD_PATH_PREFIX}${p.artifactId}?${q.toString()}`;
    },
    check(p) {
      if (!/^\d{1,12}$/.test(p.expires) || Number(p.expires) * 1000 < p.nowMs) return false;
      const given = Buffer.from(p.signature, 'base64url');
      const expected = mac(p.tenantId, p.artifactId, p.deploymentId, p.deviceId, p.expires);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
};
