import { ApplianceDisk } from './types';
import { DefinitionReader, Node, attr, show } from './DefinitionReader';

const DISK_TYPES = ['system', 'swap', 'user', 'data'] as const;
const DISK_NAME = /^[a-z][a-z0-9]{0,15}$/;
const DISK_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function readDisks(
  r: DefinitionReader,
  hardware: Node,
): ApplianceDisk[] {
  const raw = hardware.disk;
  if (raw === undefined) return [];
  const disks: ApplianceDisk[] = [];
  const seen = new Set<string>();
  (raw as unknown[]).forEach((entry, index) => {
    const field = `hardware.disk[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      r.fail(
        field,
        'expected <disk name=".." type=".." file=".."|size=".."/>, got text',
      );
      return;
    }
    const name = r.matching(
      attr(entry, 'name'),
      `${field}.name`,
      DISK_NAME,
      'a device name such as hda1 or vdb',
    );
    if (attr(entry, 'name') === undefined)
      r.fail(`${field}.name`, 'expected a device name, got nothing');
    const typeRaw = attr(entry, 'type');
    const type = DISK_TYPES.find(t => t === typeRaw);
    if (!type)
      r.fail(
        `${field}.type`,
        `expected one of ${DISK_TYPES.join(', ')}, got ${show(typeRaw ?? '')}`,
      );
    const fileRaw = attr(entry, 'file');
    const sizeRaw = attr(entry, 'size');
    if ((fileRaw === undefined) === (sizeRaw === undefined)) {
      r.fail(
        field,
        'expected exactly one of file (an image file in the appliance) or size (MB)',
      );
      return;
    }
    const file = r.matching(
      fileRaw,
      `${field}.file`,
      DISK_FILE,
      'a plain file name without path characters',
    );
    const sizeMb = r.integer(
      sizeRaw,
      `${field}.size`,
      1,
      16 * 1024 * 1024,
      'MB',
    );
    if (name && seen.has(name))
      r.fail(
        `${field}.name`,
        `expected a unique disk name, got a second ${show(name)}`,
      );
    if (name) seen.add(name);
    if (name && type && (file || sizeMb)) {
      disks.push(file ? { name, type, file } : { name, type, sizeMb });
    }
  });
  return disks;
}
