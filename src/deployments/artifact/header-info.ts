import { ArtifactError } from './artifact-error.js';
import { MAX_DEVICE_TYPES, MAX_PAYLOADS } from './artifact-limits.js';
import { checkName, checkNameList, isPlainObject, onlyKeys, parseJsonObject } from './json-checks.js';

/** What header-info says about the whole artifact, in the server's terms. */
export interface HeaderInfo {
  /** `null` is an empty-payload (bootstrap) artifact. */
  payloadTypes: (string | null)[];
  name: string;
  deviceTypes: string[];
  /** header-info's part of the merged artifact_provides. */
  provides: Record<string, string>;
  /** header-info's part of the merged artifact_depends (always has device_type). */
  depends: Record<string, string[]>;
}

const checkPayloads = (value: unknown, where: string, version: 2 | 3): (string | null)[] => {
  if (!Array.isArray(value) || value.length === 0)
    throw new ArtifactError(`${where} must list at least one payload`);
  if (value.length > MAX_PAYLOADS)
    throw new ArtifactError(`${where} lists more than ${MAX_PAYLOADS} payloads`);
  return value.map((p, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(p)) throw new ArtifactError(`${at} must be an object`);
    onlyKeys(p, ['type'], at);
    // v3: a missing or null type is an empty payload; v2 had no such thing.
    if ((p.type === undefined || p.type === null) && version === 3) return null;
    if (p.type === '') throw new ArtifactError(`${at}.type must not be empty`);
    return checkName(p.type, `${at}.type`);
  });
};

const parseV3 = (doc: Record<string, unknown>): HeaderInfo => {
  const where = 'header-info';
  onlyKeys(doc, ['payloads', 'artifact_provides', 'artifact_depends'], where);
  const payloadTypes = checkPayloads(doc.payloads, `${where}: payloads`, 3);

  const provides = doc.artifact_provides;
  if (!isPlainObject(provides)) throw new ArtifactError(`${where}: artifact_provides is missing`);
  onlyKeys(provides, ['artifact_name', 'artifact_group'], `${where}: artifact_provides`);
  const name = checkName(provides.artifact_name, `${where}: artifact_provides.artifact_name`);
  const group =
    provides.artifact_group === undefined
      ? ''
      : checkName(provides.artifact_group, `${where}: artifact_provides.artifact_group`, {
          allowEmpty: true,
        });

  const depends = doc.artifact_depends;
  if (!isPlainObject(depends)) throw new ArtifactError(`${where}: artifact_depends.device_type is missing`);
  onlyKeys(depends, ['artifact_name', 'device_type', 'artifact_group'], `${where}: artifact_depends`);
  const deviceTypes = checkNameList(depends.device_type ?? [], `${where}: artifact_depends.device_type`, {
    min: 1,
    max: MAX_DEVICE_TYPES,
  });
  const merged: Record<string, string[]> = { device_type: deviceTypes };
  for (const key of ['artifact_name', 'artifact_group'] as const) {
    const list =
      depends[key] === undefined ? [] : checkNameList(depends[key], `${where}: artifact_depends.${key}`);
    // Mender serialises these with omitempty: an empty list is no dependency.
    if (list.length > 0) merged[key] = list;
  }
  return {
    payloadTypes,
    name,
    deviceTypes,
    provides: group === '' ? { artifact_name: name } : { artifact_name: name, artifact_group: group },
    depends: merged,
  };
};

const parseV2 = (doc: Record<string, unknown>): HeaderInfo => {
  const where = 'header-info';
  onlyKeys(doc, ['updates', 'device_types_compatible', 'artifact_name'], where);
  const payloadTypes = checkPayloads(doc.updates, `${where}: updates`, 2);
  const name = checkName(doc.artifact_name, `${where}: artifact_name`);
  const deviceTypes = checkNameList(doc.device_types_compatible ?? [], `${where}: device_types_compatible`, {
    min: 1,
    max: MAX_DEVICE_TYPES,
  });
  // v2 has no provides/depends; we give it the shape v3 would have, so that matching and
  // duplicate checks need no special case.
  return {
    payloadTypes,
    name,
    deviceTypes,
    provides: { artifact_name: name },
    depends: { device_type: deviceTypes },
  };
};

export const parseHeaderInfo = (text: Buffer, version: 2 | 3): HeaderInfo => {
  const doc = parseJsonObject(text, 'header-info');
  return version === 3 ? parseV3(doc) : parseV2(doc);
};

/**
 * header-augment's header-info. Only `payloads` counts (it overrides the types per payload,
 * artifact-format-v3.md); provides and depends there are ignored, as Mender's merge does.
 */
export const parseAugmentHeaderInfo = (text: Buffer, where: string): (string | null)[] => {
  const doc = parseJsonObject(text, where);
  onlyKeys(doc, ['payloads', 'artifact_provides', 'artifact_depends'], where);
  for (const key of ['artifact_provides', 'artifact_depends'] as const) {
    if (doc[key] !== undefined && doc[key] !== null && !isPlainObject(doc[key])) {
      throw new ArtifactError(`${where}: ${key} must be an object`);
    }
  }
  if (!Array.isArray(doc.payloads)) throw new ArtifactError(`${where}: payloads must be a list`);
  return doc.payloads.map((p, i) => {
    const at = `${where}: payloads[${i}]`;
    if (!isPlainObject(p)) throw new ArtifactError(`${at} must be an object`);
    if (p.type === undefined || p.type === null) return null;
    return checkName(p.type, `${at}.type`, { allowEmpty: true });
  });
};
