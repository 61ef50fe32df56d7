import type { Logger } from 'pino';
import { DiskStore } from '../disks/DiskStore';

export interface ImageStoreOptions {
  dataDir: string;
  diskStore: DiskStore;
  logger: Logger;
  stallTimeoutMs: number;
  freeBytes(): Promise<number>;
  /** Paths of image files that disks or deployment layers sit on. */
  layersInUse(): Promise<Set<string>>;
}
