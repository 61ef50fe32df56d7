import type { ResourceDemand } from '../pricing/pricing';

/** What of an appliance decides the least it runs on. */
export type ApplianceHardware = {
  sizeMb: number;
  hardware: {
    cpus: number;
    memoryKib: number;
    disks: ReadonlyArray<{ sizeMb?: number }>;
  };
};

/**
 * The least an appliance runs on: its hardware's CPUs and memory (rounded up
 * to whole MB), its image plus its blank disks. The backend refuses less; the
 * provision form starts from it.
 */
export function minimumSize(appliance: ApplianceHardware): ResourceDemand {
  return {
    cpuCores: appliance.hardware.cpus,
    memoryMb: Math.ceil(appliance.hardware.memoryKib / 1024),
    storageMb:
      appliance.sizeMb +
      appliance.hardware.disks.reduce((sum, d) => sum + (d.sizeMb ?? 0), 0),
  };
}

/** `1 core, 256 MB memory, 1,034 MB storage`. */
export function describeSize(size: ResourceDemand): string {
  return `${size.cpuCores} ${size.cpuCores === 1 ? 'core' : 'cores'}, ${size.memoryMb.toLocaleString('en')} MB memory, ${size.storageMb.toLocaleString('en')} MB storage`;
}
