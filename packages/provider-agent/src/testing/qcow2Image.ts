import { emptyQcow2 } from '../disks/qcow2';

/**
 * A real (empty) qcow2 image of at least `approxBytes` bytes, for tests that
 * publish images and watch them download: the agent refuses anything that is
 * not a qcow2. Its virtual size grows with the file (2 MiB per L1 entry).
 */
export function qcow2Image(approxBytes: number, backingFile?: string): Buffer {
  const l1Clusters = Math.max(1, Math.ceil(approxBytes / 4096) - 3);
  return emptyQcow2(l1Clusters * 512 * 2 * 1024 * 1024, backingFile);
}
