import { createHash } from 'node:crypto';
import { pemBlock } from '../core/pem.js';
import type { DeviceIdentity, KeygenPlan } from './keygen-plan.js';

/**
 * Manifest lines exactly as docs/factory-manifests.md defines them: JSONL with the public key
 * as SPKI PEM, or CSV (RFC 4180, header first) with it as base64 SPKI DER on one line, so a row
 * is one physical line and line numbers in an import report match what an editor shows.
 * Lines end in "\n" (the format allows CRLF; LF is what the rest of a Linux factory line expects).
 */

export const fingerprintOf = (spkiDer: Uint8Array): string =>
  createHash('sha256').update(spkiDer).digest('hex');

/** PEM "PUBLIC KEY" with 64-character lines and a final newline, as the Mender client sends it. */
export const spkiPem = (spkiDer: Uint8Array): string => pemBlock('PUBLIC KEY', spkiDer);

/** One RFC 4180 field: quoted when it holds a quote, comma or line break, or edge spaces some readers trim. */
export const csvField = (value: string): string =>
  /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;

/** The first line of the manifest: the CSV header, nothing for JSONL. */
export const manifestHeader = (plan: KeygenPlan): string => {
  if (plan.format === 'jsonl') return '';
  const columns = [
    ...plan.identity.map((t) => `identity.${t.name}`),
    'pubkey',
    'fingerprint',
    ...(plan.group === undefined ? [] : ['group']),
    ...plan.tags.map(([name]) => `tag.${name}`),
  ];
  return `${columns.map(csvField).join(',')}\n`;
};

export const manifestLine = (plan: KeygenPlan, identity: DeviceIdentity, spkiDer: Uint8Array): string => {
  const fingerprint = fingerprintOf(spkiDer);
  if (plan.format === 'csv') {
    const cells = [
      ...identity.map(([, value]) => value),
      Buffer.from(spkiDer).toString('base64'),
      fingerprint,
      ...(plan.group === undefined ? [] : [plan.group]),
      ...plan.tags.map(([, value]) => value),
    ];
    return `${cells.map(csvField).join(',')}\n`;
  }
  return `${JSON.stringify({
    identity: Object.fromEntries(identity),
    pubkey: spkiPem(spkiDer),
    fingerprint,
    ...(plan.group === undefined ? {} : { group: plan.group }),
    ...(plan.tags.length === 0 ? {} : { tags: Object.fromEntries(plan.tags) }),
  })}\n`;
};
