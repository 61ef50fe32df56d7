import { ImageKind } from './ImageKind';
import { ImageRecord } from './ImageRecords';

export interface ImageView {
  kind: ImageKind;
  name: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  url: string;
  installedAt: string;
  os?: { name: string; version: string };
  /** Every version still on disk (older ones stay while disks use them). */
  versions: string[];
}

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
