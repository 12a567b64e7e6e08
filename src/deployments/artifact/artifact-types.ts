/** One payload file, as found inside `data/NNNN.tar*` and checked against the manifest. */
export interface ArtifactFile {
  /** Base name inside the data archive (the manifest lists it as `data/NNNN/<name>`). */
  name: string;
  /** sha256 of the uncompressed content, lowercase hex. */
  checksum: string;
  size: number;
  /** RFC 3339 from the tar mtime (UTC, whole seconds, as Mender's Go time JSON). */
  date: string;
}

export interface ArtifactUpdate {
  /**
   * The payload type from header-info (`payloads[i].type`), which is what the Mender server
   * reports; `null` for an empty-payload (bootstrap) artifact.
   */
  typeInfo: { type: string | null };
  files: ArtifactFile[];
  /** headers/NNNN/meta-data (augmented keys win); `{}` when absent or empty. */
  metadata: Record<string, unknown>;
}

export interface ArtifactMeta {
  /** artifact_provides.artifact_name (v3) / artifact_name (v2). */
  name: string;
  /** artifact_depends.device_type (v3) / device_types_compatible (v2); 1..200 entries. */
  deviceTypesCompatible: string[];
  info: { format: 'mender'; version: 2 | 3 };
  /** `manifest.sig` present. The server does not verify it (Mender does not either). */
  signed: boolean;
  /** header-info artifact_provides merged with every type-info artifact_provides. */
  provides: Record<string, string>;
  /** header-info artifact_depends merged with every type-info artifact_depends; has device_type. */
  depends: Record<string, string[]>;
  clearsProvides: string[];
  updates: ArtifactUpdate[];
  /** Total bytes of the .mender file. */
  size: number;
}

export interface ParseArtifactOptions {
  /** Cap on each header archive, compressed and decompressed (default 10 MiB). */
  maxHeaderBytes?: number;
}
