/** Test support: what `mender-artifact read` prints, to compare the parser with the real tool. */
import { MENDER_ARTIFACT, run } from './artifact-test-fixtures.js';
import type { ArtifactMeta } from './index.js';

export interface ReadOutput {
  name: string;
  version: number;
  signed: boolean;
  deviceTypes: string[];
  providesGroup: string;
  dependsArtifacts: string[];
  dependsGroups: string[];
  scripts: string[];
  updates: {
    type: string | null;
    provides: Record<string, string>;
    depends: Record<string, string>;
    clearsProvides: string[];
    metadata: Record<string, unknown>;
    files: { name: string; size: number; checksum: string }[];
  }[];
}

const list = (text: string): string[] => {
  const inner = text.replace(/^'?\[/, '').replace(/\]'?$/, '');
  return inner === '' ? [] : inner.split(/,? /);
};

/** Parses what `mender-artifact read FILE` prints (3.9), for the fields compared in tests. */
export const menderRead = (path: string): ReadOutput => {
  const lines = run(MENDER_ARTIFACT, ['read', path]).split('\n');
  const field = (label: string): string => {
    const line = lines.find((l) => l.startsWith(`  ${label}:`));
    return line === undefined ? '' : line.slice(label.length + 3).trim();
  };
  const out: ReadOutput = {
    name: field('Name'),
    version: Number(field('Version')),
    signed: !field('Signature').startsWith('no signature'),
    deviceTypes: list(field('Compatible devices')),
    providesGroup: field('Provides group'),
    dependsArtifacts: list(field('Depends on one of artifact(s)')),
    dependsGroups: list(field('Depends on one of group(s)')),
    scripts: [],
    updates: [],
  };
  let section = '';
  let update: ReadOutput['updates'][number] | undefined;
  let metadataText = '';
  const finishMetadata = () => {
    if (update && metadataText) update.metadata = JSON.parse(metadataText);
    metadataText = '';
  };
  for (const line of lines) {
    if (line.startsWith('  State scripts:')) section = 'scripts';
    else if (line === 'Updates:') section = '';
    else if (section === 'scripts' && line.startsWith('    ') && line.trim() !== '')
      out.scripts.push(line.trim());
    else if (/^ {4}\d+:$/.test(line)) {
      finishMetadata();
      update = { type: null, provides: {}, depends: {}, clearsProvides: [], metadata: {}, files: [] };
      out.updates.push(update);
      section = '';
    } else if (update && /^ {4}\S/.test(line)) {
      finishMetadata();
      const [label, ...rest] = line.trim().split(':');
      const value = rest.join(':').trim();
      section = label ?? '';
      if (label === 'Type') update.type = value === 'Empty type' ? null : value;
      if (label === 'Clears Provides') update.clearsProvides = JSON.parse(value);
    } else if (update && line.startsWith('\t')) {
      if (section === 'Metadata') metadataText += line.trim();
      else {
        const [key, ...value] = line.trim().split(': ');
        if (section === 'Provides') update.provides[key ?? ''] = value.join(': ');
        if (section === 'Depends') update.depends[key ?? ''] = value.join(': ');
      }
    } else if (update && section === 'Files') {
      const m = /^ {6}(name|size|checksum):\s+(.*)$/.exec(line);
      if (m?.[1] === 'name') update.files.push({ name: m[2] ?? '', size: 0, checksum: '' });
      const file = update.files.at(-1);
      if (file && m?.[1] === 'size') file.size = Number(m[2]);
      if (file && m?.[1] === 'checksum') file.checksum = (m[2] ?? '').slice(0, 64);
    }
  }
  finishMetadata();
  return out;
};

/** The parts of our result that `mender-artifact read` also shows, in its shape. */
export const asReadOutput = (meta: ArtifactMeta, scripts: string[] = []): ReadOutput => ({
  name: meta.name,
  version: meta.info.version,
  signed: meta.signed,
  deviceTypes: meta.deviceTypesCompatible,
  providesGroup: meta.provides.artifact_group ?? '',
  dependsArtifacts: meta.depends.artifact_name ?? [],
  dependsGroups: meta.depends.artifact_group ?? [],
  scripts,
  updates: meta.updates.map((u) => {
    const own = (key: string) => !['artifact_name', 'artifact_group', 'device_type'].includes(key);
    return {
      type: u.typeInfo.type,
      provides: Object.fromEntries(Object.entries(meta.provides).filter(([k]) => own(k))),
      depends: Object.fromEntries(
        Object.entries(meta.depends)
          .filter(([k]) => own(k))
          .map(([k, v]) => [k, v.join(' ')]),
      ),
      clearsProvides: meta.clearsProvides,
      metadata: u.metadata,
      files: u.files.map((f) => ({ name: f.name, size: f.size, checksum: f.checksum })),
    };
  }),
});
