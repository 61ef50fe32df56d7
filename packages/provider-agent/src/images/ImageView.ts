import type { AgentApiSchemas } from '../api/apiTypes';
import { ImageRecord } from './ImageRecords';

/** `versions` lists every version still on disk (older ones stay while disks use them). */
export type ImageView = AgentApiSchemas['Image'];

export function toImageView(record: ImageRecord): ImageView {
  const current = record.versions[record.current];
  return {
    kind: record.kind,
    name: record.name,
    version: current.version,
    sha256: current.sha256,
    sizeBytes: current.sizeBytes,
    url: current.url,
    installedAt: current.installedAt,
    ...(current.os ? { os: current.os } : {}),
    versions: Object.keys(record.versions).sort(),
  };
}
