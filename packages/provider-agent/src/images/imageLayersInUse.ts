import fs from 'node:fs/promises';
import path from 'node:path';
import { ImageRecords } from './ImageRecords';
import { ImageStoreOptions } from './ImageStoreOptions';
import { unlessMissing } from '../storage/unlessMissing';

/** Image files that must stay: layers disks sit on, and OS versions an installed appliance sits on. */
export async function imageLayersInUse(
  records: ImageRecords,
  options: Pick<ImageStoreOptions, 'layersInUse'>,
): Promise<Set<string>> {
  const used = await options.layersInUse();
  // An OS version is in use while an installed appliance sits on it.
  const appliances = await unlessMissing(
    fs.readdir(path.join(records.root, 'appliance')),
    [],
  );
  for (const name of appliances) {
    const record = await records.read('appliance', name);
    for (const v of Object.values(record?.versions ?? {})) {
      if (!v.os) continue;
      const os = await records.read('os', v.os.name);
      const osVersion = os?.versions[v.os.version];
      if (osVersion) used.add(records.file('os', v.os.name, osVersion.file));
    }
  }
  return used;
}
