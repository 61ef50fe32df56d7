import type { AgentApiSchemas } from '../api/apiTypes';
/**
 * One layer: its absolute path, the bytes it occupies on disk (sparse files
 * count allocated blocks) and the absolute path of the layer below, if any.
 */
export type LayerInfo = AgentApiSchemas['Layer'];

/** Image and disk layers: qcow2 backing chains through qemu-img, or simulated. */
export interface DiskStore {
  readonly driver: 'qemu-img' | 'simulated';
  /**
   * Accepts a downloaded image as a layer: checks its format and points it at
   * `backingPath` (the OS layer under an appliance), or checks it stands alone.
   */
  adoptImage(
    path: string,
    options: { backingPath?: string },
  ): Promise<LayerInfo>;
  /** Creates a copy-on-write layer over `backingPath`; refuses an existing path. */
  createOverlay(
    path: string,
    backingPath: string,
    options?: { sizeBytes?: number },
  ): Promise<LayerInfo>;
  /** Creates an empty qcow2 disk of its own (a swap or data volume); refuses an existing path. */
  createBlank(path: string, sizeBytes: number): Promise<LayerInfo>;
  /**
   * Takes in a qcow2 layer that arrived from another host (migration): points
   * it at `backingPath` here (only its header changes) or checks it stands alone.
   */
  adoptLayer(path: string, backingPath?: string): Promise<LayerInfo>;
  /** The layer and everything below it, top first. */
  chain(path: string): Promise<LayerInfo[]>;
  remove(path: string): Promise<void>;
}
